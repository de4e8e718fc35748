import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { ElMessage } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import App from './App.vue'
import { router } from './router'
import { configureClient } from './api/client'
import { useAuth } from './stores/auth'
import { useOrg } from './stores/org'
import './styles.css'
import { keepControlsLabelled } from './a11y'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(router)

configureClient({
  notify: (message) => ElMessage({ type: 'error', message, grouping: true, duration: 5000 }),
  onUnauthorized: () => {
    const auth = useAuth(pinia)
    const wasSignedIn = auth.me !== null
    auth.me = null
    useOrg(pinia).reset()
    const current = router.currentRoute.value
    if (current.meta.public) return
    if (wasSignedIn) ElMessage({ type: 'warning', message: '登录已过期，请重新登录', grouping: true })
    void router.push({ name: 'login', query: { redirect: current.fullPath } })
  },
  onPasswordChangeRequired: () => {
    const auth = useAuth(pinia)
    if (auth.me) auth.me = { ...auth.me, must_change_password: true }
    void router.push({ name: 'password' })
  },
})

app.mount('#app')
keepControlsLabelled()
