import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import * as Vant from 'vant'
import zhCN from 'vant/es/locale/lang/zh-CN'
import 'vant/lib/index.css'
import App from './App.vue'

Vant.Locale.use('zh-CN', zhCN)

const router = createRouter({
  history: createWebHistory('/m/'),
  routes: [
    { path: '/', redirect: '/report' },
    { path: '/report', component: () => import('./pages/ReportPage.vue') },
    { path: '/done', component: () => import('./pages/DonePage.vue') },
    { path: '/status', component: () => import('./pages/StatusPage.vue') },
    { path: '/disclosure', component: () => import('./pages/DisclosurePage.vue') },
    { path: '/:rest(.*)*', redirect: '/report' },
  ],
})

const app = createApp(App)
// The Vant components the pages use (named one by one, so the build keeps only these).
for (const c of [
  Vant.Button,
  Vant.Cell,
  Vant.CellGroup,
  Vant.Checkbox,
  Vant.CheckboxGroup,
  Vant.Field,
  Vant.Form,
  Vant.NavBar,
  Vant.Picker,
  Vant.Popup,
  Vant.Radio,
  Vant.RadioGroup,
  Vant.Rate,
  Vant.Step,
  Vant.Steps,
  Vant.Switch,
  Vant.Uploader,
  Vant.Tag,
]) {
  app.use(c)
}
app.use(router).mount('#app')
