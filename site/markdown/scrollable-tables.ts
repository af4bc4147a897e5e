/**
 * A Markdown (hast) plugin for Sätteri, Astro's Markdown processor: every table of a lesson or an exercise page is
 * wrapped in a scroll region that a keyboard can reach. A wide table on a phone scrolls sideways, and a scroll
 * region without focus cannot be scrolled without a mouse or a touch screen (WCAG 2.1.1; axe's
 * scrollable-region-focusable). The region is named after the table's column headings, so that a screen reader
 * says what it is when it gets the focus. Starlight's own heading plugin has the same shape.
 */
interface HastNode {
  type: string
  tagName?: string
  value?: string
  properties?: Record<string, unknown>
  children?: HastNode[]
}

/** A plugin factory: Sätteri makes one plugin per file, so that two tables with the same headings on one page get
 * different names (landmarks must be told apart: axe's landmark-unique). */
export function scrollableTables() {
  const seen = new Map<string, number>()
  return {
    name: 'mqtt-course-scrollable-tables',
    element: {
      filter: ['table'],
      visit(node: HastNode) {
        const label = tableLabel(node)
        const count = (seen.get(label) ?? 0) + 1
        seen.set(label, count)
        return {
          type: 'element',
          tagName: 'div',
          properties: {
            class: 'table-scroll',
            role: 'region',
            tabindex: '0',
            'aria-label': count > 1 ? `${label} (${count})` : label,
          },
          children: [node],
        }
      },
    },
  }
}

/** "Table: will field, example, meaning", from the header cells. */
export function tableLabel(table: HastNode): string {
  const cells: string[] = []
  const visit = (node: HastNode) => {
    if (node.type === 'element' && node.tagName === 'th') cells.push(text(node).trim())
    else node.children?.forEach(visit)
  }
  visit(table)
  const headings = cells.filter(Boolean).join(', ')
  return headings ? `Table: ${headings}` : 'Table'
}

function text(node: HastNode): string {
  if (node.type === 'text') return node.value ?? ''
  return (node.children ?? []).map(text).join('')
}
