/** The trainer's worker: `createTrainer` starts it; it serves one Trainer through Comlink. */
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import { serve } from './connect.js';
import { Trainer, type DataInfo, type DataSource, type FitCallbacks, type FitRequest, type FitSummary, type LoadCallbacks } from './trainer.js';

/** Releases the caller's callbacks when a call ends (their channel would keep Node alive). */
function release(callbacks: object | undefined): void {
  (callbacks as Partial<Comlink.Remote<object>> | undefined)?.[Comlink.releaseProxy]?.();
}

class WorkerTrainer extends Trainer {
  override async fit(request?: FitRequest, callbacks?: FitCallbacks): Promise<FitSummary> {
    try {
      return await super.fit(request, callbacks);
    } finally {
      release(callbacks);
    }
  }

  override async loadData(source: DataSource, callbacks?: LoadCallbacks): Promise<DataInfo> {
    try {
      return await super.loadData(source, callbacks);
    } finally {
      release(callbacks);
    }
  }
}

await serve(new WorkerTrainer());
