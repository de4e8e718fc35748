import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import {
  Button,
  Cell,
  CellGroup,
  Checkbox,
  CheckboxGroup,
  Field,
  Form,
  NavBar,
  Picker,
  Popup,
  Radio,
  RadioGroup,
  Rate,
  Step,
  Steps,
  Switch,
  Uploader,
  Tag,
  Locale,
} from 'vant'
import zhCN from 'vant/es/locale/lang/zh-CN'
import 'vant/lib/index.css'
import App from './App.vue'

Locale.use('zh-CN', zhCN)

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
for (const c of [
  Button,
  Cell,
  CellGroup,
  Checkbox,
  CheckboxGroup,
  Field,
  Form,
  NavBar,
  Picker,
  Popup,
  Radio,
  RadioGroup,
  Rate,
  Step,
  Steps,
  Switch,
  Uploader,
  Tag,
]) {
  app.use(c)
}
app.use(router).mount('#app')
