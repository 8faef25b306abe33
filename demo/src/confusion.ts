/** The confusion matrix (rows: true class, columns: predicted class) and per-class accuracy. */
import type { Evaluation } from 'senet-wasm';

function cell(tag: 'th' | 'td', text: string, className?: string): HTMLTableCellElement {
  const element = document.createElement(tag);
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

const percent = (fraction: number) => (Number.isNaN(fraction) ? '-' : `${(fraction * 100).toFixed(1)}%`);

export function renderConfusion(container: HTMLElement, evaluation: Evaluation, classes: readonly string[], what: string): void {
  const table = document.createElement('table');
  table.className = 'confusion';
  const caption = document.createElement('caption');
  caption.textContent = `${what}: accuracy ${percent(evaluation.accuracy)} on ${evaluation.count} images, loss ${evaluation.loss.toFixed(4)}. Rows: true class; columns: predicted class.`;
  const head = document.createElement('tr');
  head.append(cell('th', ''), ...classes.map((name) => cell('th', name, 'predicted')), cell('th', 'accuracy'));
  const rows = evaluation.confusion.map((counts, truth) => {
    const row = document.createElement('tr');
    const total = counts.reduce((a, b) => a + b, 0);
    row.append(cell('th', classes[truth] ?? String(truth)));
    counts.forEach((count, predicted) => {
      const td = cell('td', String(count), predicted === truth ? 'hit' : count > 0 ? 'miss' : undefined);
      // Shade by the share of the row, so rare and common classes read alike.
      if (total > 0) td.style.setProperty('--share', (count / total).toFixed(3));
      row.append(td);
    });
    row.append(cell('td', percent(evaluation.perClass[truth] ?? Number.NaN), 'class-accuracy'));
    return row;
  });
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  tbody.append(...rows);
  table.append(caption, thead, tbody);
  table.dataset.total = String(evaluation.confusion.flat().reduce((a, b) => a + b, 0));
  table.dataset.accuracy = String(evaluation.accuracy);
  container.replaceChildren(table);
}
