/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// Pages of the multi-page build. The staff console is `index.html` (served at `/`);
// the citizens' mobile page (Vant) is `m/index.html`, served at `/m/`.
const pages = {
  main: fileURLToPath(new URL('./index.html', import.meta.url)),
  m: fileURLToPath(new URL('./m/index.html', import.meta.url)),
}

const backend = process.env.BANCHENG_API ?? 'http://127.0.0.1:8000'

export default defineConfig({
  base: '/',
  plugins: [
    vue(),
    // Element Plus components and their CSS are imported on demand, per route chunk.
    Components({
      dts: 'src/components.d.ts',
      resolvers: [ElementPlusResolver({ importStyle: 'css' })],
    }),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    port: 5173,
    proxy: { '/api': { target: backend, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 900,
    // dist/.vite/manifest.json: which chunks a page needs (bench/web.py sums them).
    manifest: true,
    rolldownOptions: {
      input: pages,
      output: {
        // Vue, the router and Pinia change rarely: one long-cached chunk. Element Plus
        // stays split per route, so the sign-in page does not load the ledger's table.
        codeSplitting: {
          groups: [{ name: 'vue', test: /node_modules[\\/](@vue|vue|vue-router|pinia)[\\/]/ }],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
})
