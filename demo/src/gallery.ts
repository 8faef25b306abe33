/** Test images with the model's predictions: green where it is right, red where it is wrong. */
import type { Prediction, TestImages } from 'senet-wasm';

/** Draws one CHW uint8 image (planes R, G, B) on a canvas of its size. */
export function imageCanvas(chw: Uint8Array, [channels, height, width]: readonly [number, number, number]): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const pixels = new ImageData(width, height);
  const plane = height * width;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) pixels.data[4 * p + c] = chw[(channels === 1 ? 0 : c) * plane + p]!;
    pixels.data[4 * p + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  return canvas;
}

/** Replaces `container`'s content with the images and their predicted and true labels. */
export function renderGallery(container: HTMLElement, start: number, test: TestImages, prediction: Prediction): void {
  const [channels, height, width] = test.shape;
  const size = channels * height * width;
  const items = test.labels.map((label, i) => {
    const predicted = prediction.predicted[i]!;
    const confidence = prediction.probabilities[i]![predicted]!;
    const item = document.createElement('figure');
    item.className = predicted === label ? 'correct' : 'wrong';
    item.title = `test image ${start + i}: predicted ${test.classes[predicted]} (${(confidence * 100).toFixed(0)}%), true ${test.classes[label]}`;
    const caption = document.createElement('figcaption');
    const guess = document.createElement('span');
    guess.className = 'predicted';
    guess.textContent = test.classes[predicted] ?? String(predicted);
    const truth = document.createElement('span');
    truth.className = 'true';
    truth.textContent = predicted === label ? `${(confidence * 100).toFixed(0)}%` : `is ${test.classes[label]}`;
    caption.append(guess, truth);
    item.append(imageCanvas(test.images.subarray(i * size, (i + 1) * size), test.shape), caption);
    return item;
  });
  container.replaceChildren(...items);
  container.dataset.count = String(items.length);
  container.dataset.correct = String(items.filter((item) => item.className === 'correct').length);
}
