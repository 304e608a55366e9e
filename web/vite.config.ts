import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The console is built into dist/web and served by the gateway itself (same origin: the
// session cookie just works). Everything is bundled: the sites' networks are closed.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024
  },
  server: {
    // `npx vite web` during development: the API is the gateway on :8080.
    proxy: { '/api': 'http://127.0.0.1:8080', '/hls': 'http://127.0.0.1:8080' }
  }
})
