import { ref, watch, type Ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'

/**
 * A screen's state kept in the URL's query string, so a reload, a shared link or Back restores
 * it. Each key starts from the URL (or its default) and writes back on change; a value equal to
 * its default is left out of the URL. Other query keys (e.g. ?cctv=) are kept.
 */
export function useQueryState<K extends string> (defaults: Record<K, string>): Record<K, Ref<string>> {
  const route = useRoute()
  const router = useRouter()
  const keys = Object.keys(defaults) as K[]
  const state = {} as Record<K, Ref<string>>
  for (const k of keys) {
    const v = route.query[k]
    state[k] = ref(typeof v === 'string' ? v : defaults[k])
  }
  watch(keys.map(k => state[k]), () => {
    const query: Record<string, string> = {}
    for (const [k, v] of Object.entries(route.query)) if (!keys.includes(k as K) && typeof v === 'string') query[k] = v
    for (const k of keys) if (state[k].value !== defaults[k]) query[k] = state[k].value
    void router.replace({ query })
  })
  return state
}

/** A path inside the console to go back to after login (`?next=`), or undefined for anything else. */
export function safeNext (next: unknown): string | undefined {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return undefined
  return next
}
