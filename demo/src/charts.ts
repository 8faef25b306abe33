/**
 * Live training curves (chart.js): the running loss and accuracy of the epoch so far after
 * every batch, and the test loss and accuracy after every epoch. The x axis counts epochs, so
 * a batch halfway through epoch 2 sits at 1.5 and the test point of epoch 2 at 2.
 */
import {
  Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartDataset,
} from 'chart.js';
import type { BatchReport, EpochUpdate } from 'senet-wasm';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

type Point = { x: number; y: number };
type Series = ChartDataset<'line', Point[]>;

function series(label: string, color: string, points: boolean): Series {
  return {
    label, data: [], borderColor: color, backgroundColor: color, borderWidth: 1.5,
    pointRadius: points ? 3 : 0, showLine: true, parsing: false,
  };
}

function lineChart(canvas: HTMLCanvasElement, datasets: Series[], y: { title: string; percent: boolean }): Chart<'line', Point[]> {
  return new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: 'epoch' } },
        y: {
          type: 'linear', title: { display: true, text: y.title },
          ...(y.percent ? { min: 0, max: 1, ticks: { callback: (v) => `${Math.round(Number(v) * 100)}%` } } : { min: 0 }),
        },
      },
    },
  });
}

export class TrainingCharts {
  private readonly loss: Chart<'line', Point[]>;
  private readonly accuracy: Chart<'line', Point[]>;
  /** Epochs finished in earlier runs: a new run continues to the right of them. */
  private offset = 0;
  private lastX = 0;

  constructor(private readonly lossCanvas: HTMLCanvasElement, private readonly accuracyCanvas: HTMLCanvasElement) {
    this.loss = lineChart(lossCanvas, [series('training (running)', '#1f6feb', false), series('test', '#d1242f', true)], { title: 'cross-entropy', percent: false });
    this.accuracy = lineChart(accuracyCanvas, [series('training (running)', '#1f6feb', false), series('test', '#d1242f', true)], { title: 'accuracy', percent: true });
    this.publish();
  }

  /** Where a new run starts: after what is drawn (training continues from the current weights). */
  startRun(): void {
    this.offset = Math.ceil(this.lastX);
  }

  addBatch(r: BatchReport): void {
    const x = this.offset + r.epoch - 1 + r.batch / r.batches;
    this.push(0, x, r.loss, r.accuracy);
  }

  addEpoch(r: EpochUpdate): void {
    if (r.test) this.push(1, this.offset + r.epoch, r.test.loss, r.test.accuracy);
  }

  /** Points drawn so far: per batch and per epoch (also on the canvases as data-batch-points, data-epoch-points). */
  get points(): { batches: number; epochs: number } {
    return { batches: this.loss.data.datasets[0]!.data.length, epochs: this.loss.data.datasets[1]!.data.length };
  }

  private push(dataset: 0 | 1, x: number, loss: number, accuracy: number): void {
    this.lastX = Math.max(this.lastX, x);
    this.loss.data.datasets[dataset]!.data.push({ x, y: loss });
    this.accuracy.data.datasets[dataset]!.data.push({ x, y: accuracy });
    this.loss.update('none');
    this.accuracy.update('none');
    this.publish();
  }

  private publish(): void {
    const { batches, epochs } = this.points;
    for (const canvas of [this.lossCanvas, this.accuracyCanvas]) {
      canvas.dataset.batchPoints = String(batches);
      canvas.dataset.epochPoints = String(epochs);
    }
  }
}
