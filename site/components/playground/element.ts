/// <reference lib="dom" />
type Props<K extends keyof HTMLElementTagNameMap> = Partial<Omit<HTMLElementTagNameMap[K], 'dataset'>> & {
  dataset?: Record<string, string>
}

/**
 * Builds an element from properties and children, so the Playground's script-made markup reads like markup.
 * Text children are text nodes, never HTML: topics and payloads come from anyone on the broker.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props<K> = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  const { dataset, ...rest } = props
  Object.assign(node, rest)
  for (const [key, value] of Object.entries(dataset ?? {})) node.dataset[key] = value
  node.append(...children)
  return node
}

/** A form control by name. */
export function field(container: HTMLFormElement | HTMLElement, name: string): HTMLInputElement | HTMLSelectElement {
  const control = container.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)
  if (!control) throw new Error(`no control named ${name}`)
  return control
}
