/** The trainer's worker: `createTrainer` starts it; it serves one Trainer through Comlink. */
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import { serve } from './connect.js';
import { Trainer, type FitCallbacks, type FitRequest, type FitSummary } from './trainer.js';

class WorkerTrainer extends Trainer {
  /** Releases the caller's callbacks when the run ends (their channel would keep Node alive). */
  override async fit(request?: FitRequest, callbacks?: FitCallbacks): Promise<FitSummary> {
    try {
      return await super.fit(request, callbacks);
    } finally {
      (callbacks as Partial<Comlink.Remote<FitCallbacks>> | undefined)?.[Comlink.releaseProxy]?.();
    }
  }
}

await serve(new WorkerTrainer());
