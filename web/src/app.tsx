import { lazy, Suspense, type ReactNode } from 'react'
import { QueryClientProvider } from '@tanstack/react-query'
import { createBrowserRouter, RouterProvider } from 'react-router'
import { queryClient } from './api.js'
import { Loading } from './components/feedback.js'
import { Layout } from './layout.js'
import { ClusterListPage } from './pages/cluster-list.js'
import { NotFoundPage } from './pages/not-found.js'
import { RouteError } from './pages/route-error.js'
import { SignInPage } from './pages/sign-in.js'
import { RequireSession, SessionProvider } from './session.js'

// The first page (sign-in, then the list) loads alone; the others when first opened.
const ClusterDetailPage = lazy(() => import('./pages/cluster-detail.js'))
const CreateClusterPage = lazy(() => import('./pages/create-cluster.js'))
const AdminPage = lazy(() => import('./pages/admin.js'))

const later = (page: ReactNode) => <Suspense fallback={<Loading what="the page" />}>{page}</Suspense>

const router = createBrowserRouter(
  [
    { path: '/signin', element: <SignInPage />, errorElement: <RouteError /> },
    {
      errorElement: <RouteError />,
      element: (
        <RequireSession>
          <Layout />
        </RequireSession>
      ),
      children: [
        { index: true, element: <ClusterListPage /> },
        { path: 'clusters/new', element: later(<CreateClusterPage />) },
        { path: 'clusters/:id', element: later(<ClusterDetailPage />) },
        { path: 'admin', element: later(<AdminPage />) },
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: '/console' },
)

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <RouterProvider router={router} />
      </SessionProvider>
    </QueryClientProvider>
  )
}
