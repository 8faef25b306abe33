/**
 * The page's only job: run the request of its URL (`?request=<json>`, a {@link PageRequest}) in a
 * module worker, where both frameworks may block while their thread pools work, and publish the
 * worker's answer as `window.compareAnswer`, then `<body data-state="done">`.
 */
import type { PageAnswer } from './worker.js';

const request = new URLSearchParams(location.search).get('request');
const publish = (answer: PageAnswer) => {
  (window as unknown as { compareAnswer: PageAnswer }).compareAnswer = answer;
  document.body.dataset.state = 'done';
};
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }: MessageEvent<PageAnswer>) => publish(data);
worker.onerror = (event) => publish({ error: `the worker failed: ${event.message}` });
worker.postMessage(JSON.parse(request ?? 'null'));
