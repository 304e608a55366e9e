import { computed, type ComputedRef, type Ref } from 'vue'
import { serverOf, type Camera } from './api'
import { session } from './session'

const ko = (a: string, b: string): number => a.localeCompare(b, 'ko')

/** The choices of the district (L2 → L3) and analysis-server filters, from the region's cameras. */
export function useCameraOptions (l2: Ref<string>): { l2s: ComputedRef<string[]>, l3s: ComputedRef<string[]>, servers: ComputedRef<number[]> } {
  const cameras = computed<Camera[]>(() => session.cameras ?? [])
  return {
    l2s: computed(() => [...new Set(cameras.value.map(c => c.cctv_address?.L2 ?? '').filter(Boolean))].sort(ko)),
    l3s: computed(() => [...new Set(cameras.value.filter(c => l2.value === '' || c.cctv_address?.L2 === l2.value).map(c => c.cctv_address?.L3 ?? '').filter(Boolean))].sort(ko)),
    servers: computed(() => [...new Set(cameras.value.map(c => serverOf(c.inference_id)).filter((n): n is number => n !== undefined))].sort((a, b) => a - b))
  }
}
