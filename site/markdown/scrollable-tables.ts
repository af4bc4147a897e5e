/**
 * A rehype plugin: every table of a lesson or an exercise page is wrapped in a scroll region that a keyboard can
 * reach. A wide table on a phone scrolls sideways; a scroll region without focus cannot be scrolled without a
 * mouse or a touch screen (WCAG 2.1.1; axe's scrollable-region-focusable). The region is named after the
 * table's column headings, so a screen reader says what it is when it gets the focus.
 */
interface Node {
  type: string
  tagName?: string
  value?: string
  properties?: Record<string, unknown>
  children?: Node[]
}

export function scrollableTables() {
  return (tree: Node) => wrapTables(tree)
}

function wrapTables(node: Node): void {
  if (!node.children) return
  node.children = node.children.map((child) => {
    if (child.type === 'element' && child.tagName === 'table') {
      return {
        type: 'element',
        tagName: 'div',
        properties: { className: ['table-scroll'], role: 'region', tabIndex: 0, ariaLabel: `Table: ${headings(child) || 'scrolls sideways'}` },
        children: [child],
      }
    }
    wrapTables(child)
    return child
  })
}

/** The text of the table's header cells, "field, example, meaning". */
function headings(table: Node): string {
  const cells: string[] = []
  const visit = (node: Node) => {
    if (node.type === 'element' && node.tagName === 'th') cells.push(text(node).trim())
    else node.children?.forEach(visit)
  }
  visit(table)
  return cells.filter(Boolean).join(', ')
}

function text(node: Node): string {
  if (node.type === 'text') return node.value ?? ''
  return (node.children ?? []).map(text).join('')
}
