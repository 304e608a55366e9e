import { computed, type WritableComputedRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'

/** The screen's camera, kept in the URL (?cctv=156) so a reload or a shared link keeps it. */
export function useCctvQuery (): WritableComputedRef<string> {
  const route = useRoute()
  const router = useRouter()
  return computed({
    get: () => typeof route.query.cctv === 'string' ? route.query.cctv : '',
    set: (v: string) => { void router.replace({ query: { ...route.query, cctv: v } }) }
  })
}
