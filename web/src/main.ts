import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import App from './App.vue'
import RegionsView from './views/RegionsView.vue'
import { loadMe, refreshStatus, session, startPolling, whenLost } from './session'
import { t } from './i18n'
import './style.css'

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'regions', component: RegionsView },
    { path: '/cameras', name: 'cameras', component: async () => await import('./views/CamerasView.vue'), meta: { ssh: true } },
    { path: '/logs', name: 'logs', component: async () => await import('./views/LogsView.vue'), meta: { ssh: true } },
    { path: '/ffprobe', name: 'ffprobe', component: async () => await import('./views/FfprobeView.vue'), meta: { ssh: true } },
    { path: '/grid', name: 'grid', component: async () => await import('./views/GridView.vue'), meta: { ssh: true } },
    { path: '/live', name: 'live', component: async () => await import('./views/LiveView.vue'), meta: { ssh: true } },
    { path: '/health', name: 'health', component: async () => await import('./views/HealthView.vue'), meta: { ssh: true } },
    { path: '/fleet', name: 'fleet', component: async () => await import('./views/FleetView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/fleet/:region', name: 'fleet-region', component: async () => await import('./views/FleetCamerasView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/camera/:id', name: 'camera-story', component: async () => await import('./views/CameraStoryView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/changes', name: 'changes', component: async () => await import('./views/ChangesView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/incidents', name: 'incidents', component: async () => await import('./views/IncidentsView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/report', name: 'report', component: async () => await import('./views/ReportView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/people', name: 'people', component: async () => await import('./views/PeopleView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/alerts', name: 'alerts', component: async () => await import('./views/AlertsView.vue'), meta: { ssh: true, monitor: true } },
    { path: '/:rest(.*)*', redirect: '/' }
  ]
})

// Screens that need the SSH session: only once /api/ssh_status says connected.
router.beforeEach(async to => {
  if (to.meta.ssh !== true) return true
  if (session.status?.status !== 'connected') {
    try { await refreshStatus() } catch { /* network: the region screen says so */ }
  }
  if (session.status?.status === 'connected') return true
  // Accounts mode: the monitor's screens need only a person and a region chosen to view.
  if (to.meta.monitor === true && session.me?.mode === 'accounts' && session.viewRegion !== '') return true
  // Say why, and come back to the link after login (rough edge 6).
  if (session.notice === '') session.notice = t('regions.loginFirst')
  return { name: 'regions', query: { next: to.fullPath } }
})

whenLost(() => {
  session.notice = t('regions.expired')
  const here = router.currentRoute.value
  // Accounts mode: the monitor's screens stay (the person still reads the region they chose).
  if (here.meta.monitor === true && session.me?.mode === 'accounts' && session.viewRegion !== '') return
  if (here.meta.ssh === true) void router.push({ name: 'regions', query: { next: here.fullPath } })
})
startPolling()

// Who is signed in decides what the region screen offers: asked before the first screen.
void loadMe().finally(() => { createApp(App).use(router).mount('#app') })
