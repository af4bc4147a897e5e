import { API } from 'typescript/unstable/async'
import { appendFileSync } from 'node:fs'
const t0 = performance.now()
const api = new API({ cwd: '/tmp/tw' })
let snap = await api.updateSnapshot({ openProjects: ['/tmp/tw/tsconfig.json'] })
let project = snap.getProject('/tmp/tw/tsconfig.json')!
let d = await project.program.getSemanticDiagnostics()
console.log('first', Math.round(performance.now() - t0), d.length)
for (let i = 0; i < 4; i++) {
  appendFileSync('/tmp/tw/main.ts', i === 1 ? '\nconst y: number = "a"\n' : '\n// x\n')
  const t1 = performance.now()
  snap = await api.updateSnapshot({ fileChanges: { invalidateAll: true } })
  project = snap.getProject('/tmp/tw/tsconfig.json')!
  const s = await project.program.getSyntacticDiagnostics()
  d = await project.program.getSemanticDiagnostics()
  const g = await project.program.getProgramDiagnostics()
  console.log('change', Math.round(performance.now() - t1), s.length, d.length, g.length, d.map((x) => `${x.code} ${x.text} @${x.pos}`))
}
await api.close()
