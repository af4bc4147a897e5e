/**
 * A sequence diagram as data, and its layout as an SVG drawing: parties side by side, their lifelines, and one row
 * per step (a packet from one party to another, a note at a party, or a party that drops off). The drawing is as
 * narrow as its parties allow and its labels wrap to the space between the lifelines, so that it scales down to a
 * phone and stays readable; the same steps make the diagram's text alternative.
 */
export type SequenceStep =
  /** A packet (or any message) from one party to another. `label` lines are separated by "\n". */
  | { from: string; to: string; label: string }
  /** Something that happens at a party: "connection lost", "queued". */
  | { at: string; note: string; isLoss?: boolean }

export interface SequenceDiagramData {
  title: string
  parties: string[]
  steps: SequenceStep[]
}

export interface PositionedText {
  x: number
  y: number
  text: string
  anchor: 'start' | 'middle' | 'end'
}

export interface SequenceLayout {
  width: number
  height: number
  parties: { name: string; x: number }[]
  lifelineTop: number
  lifelineBottom: number
  arrows: { x1: number; x2: number; y: number; labels: PositionedText[] }[]
  notes: { x: number; y: number; lines: PositionedText[]; isLoss: boolean }[]
}

/** The drawing's units: text is 14 units high, and a character of the monospaced font 8.4 units wide. */
export const fontSize = 14
export const charWidth = fontSize * 0.6
const lineHeight = 18
const margin = 12
const headerHeight = 34
const partyGap = 230

export function layoutSequence(diagram: SequenceDiagramData): SequenceLayout {
  const columns = new Map(diagram.parties.map((name, index) => [name, index]))
  const column = (name: string) => {
    const index = columns.get(name)
    if (index === undefined)
      throw new Error(
        `sequence diagram "${diagram.title}": "${name}" is not one of its parties (${diagram.parties.join(', ')})`,
      )
    return index
  }
  const firstX = margin + Math.max(...diagram.parties.map((name) => name.length * charWidth), partyGap / 2) / 2
  const x = (name: string) => firstX + column(name) * partyGap
  const width = Math.round(firstX * 2 + (diagram.parties.length - 1) * partyGap)
  let y = headerHeight + 16
  const arrows: SequenceLayout['arrows'] = []
  const notes: SequenceLayout['notes'] = []
  for (const step of diagram.steps) {
    if ('from' in step) {
      const x1 = x(step.from)
      const x2 = x(step.to)
      const span = Math.abs(x2 - x1) - 16
      const lines = step.label.split('\n').flatMap((line) => wrap(line, Math.floor(span / charWidth)))
      const middle = (x1 + x2) / 2
      const labels = lines.map((text, index) => ({
        x: middle,
        y: y + lineHeight * (index + 1) - 4,
        text,
        anchor: 'middle' as const,
      }))
      y += lineHeight * lines.length + 4
      arrows.push({ x1, x2, y, labels })
      y += 14
    } else {
      const at = x(step.at)
      // Beside the party's lifeline, on the side with more room.
      const isRightSide = column(step.at) < diagram.parties.length - 1 || diagram.parties.length === 1
      const room = isRightSide ? width - at - margin - 10 : at - margin - 10
      const lines = wrap(step.note, Math.floor(room / charWidth)).map((text, index) => ({
        x: isRightSide ? at + 10 : at - 10,
        y: y + lineHeight * (index + 1) - 4,
        text,
        anchor: isRightSide ? ('start' as const) : ('end' as const),
      }))
      notes.push({ x: at, y: y + lineHeight / 2, lines, isLoss: step.isLoss ?? false })
      y += lineHeight * lines.length + 10
    }
  }
  return {
    width,
    height: Math.round(y + margin),
    parties: diagram.parties.map((name) => ({ name, x: x(name) })),
    lifelineTop: headerHeight,
    lifelineBottom: y,
    arrows,
    notes,
  }
}

/** Words into lines of at most `columns` characters (a longer word gets a line of its own). */
export function wrap(text: string, columns: number): string[] {
  const lines: string[] = []
  let line = ''
  // A word longer than a line is cut into pieces that fit (a long topic or property).
  const words = text
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((word) =>
      word.length <= columns ? [word] : (word.match(new RegExp(`.{1,${Math.max(1, columns)}}`, 'g')) ?? [word]),
    )
  for (const word of words) {
    if (line && line.length + 1 + word.length > columns) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.length ? lines : ['']
}

/** The diagram in words, one sentence per step: its text alternative. */
export function describeStep(step: SequenceStep): string {
  if ('from' in step) return `${step.from} → ${step.to}: ${step.label.replace(/\n/g, ', ')}`
  return `${step.at}: ${step.note}`
}
