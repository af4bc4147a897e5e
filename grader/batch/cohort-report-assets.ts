/** The cohort report's styles and script, inline so that index.html works from a CI artifact, offline. */
export const cohortReportStyle = `
:root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fff; }
body { margin: 1.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: left; }
#grid td.cell { text-align: center; font-variant-numeric: tabular-nums; }
#grid td.cell a { color: inherit; text-decoration: none; display: block; }
#grid td.not-graded { background: repeating-linear-gradient(45deg, #e4e4e4, #e4e4e4 6px, #f2f2f2 6px, #f2f2f2 12px); color: #444; }
#grid td.not-submitted { background: #fff; color: #555; border-style: dashed; }
#grid td.starter { background: #fff; color: #555; font-style: italic; border-style: dotted; }
#grid td.does-not-run { background: repeating-linear-gradient(-45deg, #f6d5d5, #f6d5d5 4px, #fff 4px, #fff 8px); color: #5c0f0f; font-weight: bold; }
.overridden { color: #3a3a8a; font-size: 0.85em; }
#grid thead button { font: inherit; font-weight: bold; background: none; border: 0; cursor: pointer; padding: 0; }
#grid th[aria-sort="ascending"] button::after { content: " ▲"; }
#grid th[aria-sort="descending"] button::after { content: " ▼"; }
.note { color: #555; }
.problem { color: #8a1c1c; }
.warn { color: #8a5a00; }
pre.trace { background: #f5f5f5; padding: 0.5rem; overflow-x: auto; font-size: 0.85rem; }
details { margin: 0.25rem 0 0.25rem 1rem; }
details[open] { background: #fbfbf7; }
meter { width: 6rem; }
`

/** Sorting by column (numbers high to low first, names A to Z first), and opening a cell's details. */
export const cohortReportScript = `
(() => {
  const table = document.getElementById('grid');
  const body = table.tBodies[0];
  const headers = [...table.tHead.rows[0].cells];
  const valueOf = (row, column) => row.cells[column].dataset.value ?? '';
  for (const button of table.tHead.querySelectorAll('button')) {
    button.addEventListener('click', () => {
      const column = Number(button.dataset.column);
      const header = headers[column];
      const isName = column === 0;
      const next = header.getAttribute('aria-sort') === (isName ? 'ascending' : 'descending') ? (isName ? 'descending' : 'ascending') : (isName ? 'ascending' : 'descending');
      for (const other of headers) other.setAttribute('aria-sort', 'none');
      header.setAttribute('aria-sort', next);
      const direction = next === 'ascending' ? 1 : -1;
      const rows = [...body.rows].sort((a, b) => {
        const [x, y] = [valueOf(a, column), valueOf(b, column)];
        const order = isName ? (x < y ? -1 : x > y ? 1 : 0) : Number(x) - Number(y);
        return order * direction || (valueOf(a, 0) < valueOf(b, 0) ? -1 : 1);
      });
      body.append(...rows);
    });
  }
  const openTarget = () => {
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target instanceof HTMLDetailsElement) target.open = true;
    if (target) target.scrollIntoView({ block: 'start' });
  };
  window.addEventListener('hashchange', openTarget);
  openTarget();
})();
`
