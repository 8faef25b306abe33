/** The batch worker: PrefetchingLoader starts it; it serves one BatchMaker through Comlink. */
import { BatchMaker } from './batch-maker.js';
import { serve } from './connect.js';

await serve(new BatchMaker());
