/**
 * Live training curves (chart.js): the running loss and accuracy of the epoch so far after
 * every batch, and the test loss and accuracy after every epoch. The x axis counts epochs, so
 * a batch halfway through epoch 2 sits at 1.5 and the test point of epoch 2 at 2. A third chart
 * puts the test accuracy (and flip TTA's, when the run has it) against the run's training
 * seconds, with the 80% line the fast recipe aims at.
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

/** The accuracy line drawn on the time chart. */
export const TARGET_ACCURACY = 0.8;

function lineChart(
  canvas: HTMLCanvasElement, datasets: Series[], y: { title: string; percent: boolean }, x = 'epoch',
): Chart<'line', Point[]> {
  return new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: x } },
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
  /** Test accuracy (0), TTA accuracy (1) and the target line (2) against training seconds. */
  private readonly time: Chart<'line', Point[]>;
  /** Epochs finished in earlier runs: a new run continues to the right of them. */
  private offset = 0;
  private lastX = 0;
  /** The same in training seconds, on the time chart. */
  private secondsOffset = 0;
  private lastSeconds = 0;

  constructor(
    private readonly lossCanvas: HTMLCanvasElement,
    private readonly accuracyCanvas: HTMLCanvasElement,
    private readonly timeCanvas: HTMLCanvasElement,
  ) {
    this.loss = lineChart(lossCanvas, [series('training (running)', '#1f6feb', false), series('test', '#d1242f', true)], { title: 'cross-entropy', percent: false });
    this.accuracy = lineChart(accuracyCanvas, [series('training (running)', '#1f6feb', false), series('test', '#d1242f', true)], { title: 'accuracy', percent: true });
    const target = { ...series(`${Math.round(TARGET_ACCURACY * 100)}%`, '#8c959f', false), borderDash: [6, 4] };
    this.time = lineChart(
      timeCanvas, [series('test', '#d1242f', true), series('test, flip TTA', '#8250df', true), target], { title: 'test accuracy', percent: true },
      'training seconds',
    );
    this.drawTarget();
    this.publish();
  }

  /** Where a new run starts: after what is drawn (training continues from the current weights). */
  startRun(): void {
    this.offset = Math.ceil(this.lastX);
    this.secondsOffset = this.lastSeconds;
  }

  addBatch(r: BatchReport): void {
    const x = this.offset + r.epoch - 1 + r.batch / r.batches;
    this.push(0, x, r.loss, r.accuracy);
  }

  addEpoch(r: EpochUpdate): void {
    if (!r.test) return;
    const seconds = this.secondsOffset + r.elapsedSeconds;
    this.lastSeconds = Math.max(this.lastSeconds, seconds);
    this.time.data.datasets[0]!.data.push({ x: seconds, y: r.test.accuracy });
    if (r.test.tta) this.time.data.datasets[1]!.data.push({ x: seconds, y: r.test.tta.accuracy });
    this.drawTarget();
    this.time.update('none');
    this.push(1, this.offset + r.epoch, r.test.loss, r.test.accuracy);
  }

  /** The target accuracy as a line across the time chart, as far as the runs have gone. */
  private drawTarget(): void {
    this.time.data.datasets[2]!.data = [{ x: 0, y: TARGET_ACCURACY }, { x: Math.max(1, this.lastSeconds), y: TARGET_ACCURACY }];
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
    const [test, tta, target] = this.time.data.datasets.map((d) => d.data);
    this.timeCanvas.dataset.testPoints = String(test!.length);
    this.timeCanvas.dataset.ttaPoints = String(tta!.length);
    this.timeCanvas.dataset.target = String(target![0]!.y);
    this.timeCanvas.dataset.lastSeconds = String(this.lastSeconds);
  }
}
