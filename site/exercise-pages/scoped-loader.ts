import type { Loader, LoaderContext } from 'astro/loaders'

/**
 * A loader that sees only its own entries of a shared collection. Astro's glob loader removes every entry it
 * did not load itself, so two of them in one collection would erase each other: each gets a view of the
 * store limited to the ids it owns.
 */
export function scopedLoader(loader: Loader, owns: (id: string) => boolean): Loader {
  return {
    name: `${loader.name} (scoped)`,
    load: (context: LoaderContext) => {
      const store = context.store
      const view = new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'keys') return () => target.keys().filter(owns)
          if (property === 'entries') return () => target.entries().filter(([id]) => owns(id))
          if (property === 'values') return () => target.values().filter((entry) => owns(entry.id))
          if (property === 'clear')
            return () => {
              for (const id of target.keys().filter(owns)) target.delete(id)
            }
          const value = Reflect.get(target, property, receiver)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      return loader.load({ ...context, store: view })
    },
  }
}
