/** A node of the Playground's live topic tree: one topic level, with the last message published to it. */
export interface TopicNode {
  level: string
  /** The full topic of this node. */
  topic: string
  children: Map<string, TopicNode>
  last?: { payload: string; retained: boolean; at: number; count: number }
}

export function createTopicTree(): TopicNode {
  return { level: '', topic: '', children: new Map() }
}

/** Records a message under its topic's levels; empty levels ("a//b") are kept, as MQTT keeps them. */
export function addMessage(root: TopicNode, topic: string, payload: string, retained: boolean, at = Date.now()): TopicNode {
  let node = root
  const levels = topic.split('/')
  for (const [index, level] of levels.entries()) {
    let child = node.children.get(level)
    if (!child) {
      child = { level, topic: levels.slice(0, index + 1).join('/'), children: new Map() }
      node.children.set(level, child)
    }
    node = child
  }
  node.last = { payload, retained, at, count: (node.last?.count ?? 0) + 1 }
  return node
}

/** Children in a stable, readable order: by level name, with the empty level shown first. */
export function sortedChildren(node: TopicNode): TopicNode[] {
  return [...node.children.values()].sort((a, b) => a.level.localeCompare(b.level))
}

/** How many topics have had a message. */
export function countTopics(node: TopicNode): number {
  let count = node.last ? 1 : 0
  for (const child of node.children.values()) count += countTopics(child)
  return count
}
