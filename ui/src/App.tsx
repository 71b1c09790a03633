import { createBrowserRouter, RouterProvider, useParams } from "react-router";
import { AuditPage } from "./audit/AuditPage";
import { AuthGate } from "./auth/AuthGate";
import { UserContext } from "./auth/user";
import { ClusterScope, useCluster } from "./layout/ClusterScope";
import { Shell } from "./layout/Shell";
import { CrdsPage } from "./pages/CrdsPage";
import { FleetPage } from "./pages/FleetPage";
import { HelmPage } from "./pages/HelmPage";
import { HelmReleasePage } from "./pages/HelmReleasePage";
import { KarpenterPage } from "./pages/KarpenterPage";
import { CustomListPage, KindListPage } from "./pages/ListPages";
import { NotFound } from "./pages/NotFound";
import { OverviewPage } from "./pages/OverviewPage";
import { UpgradesPage } from "./pages/UpgradesPage";

function Overview() {
  return <OverviewPage cluster={useCluster()} />;
}

function Crds() {
  return <CrdsPage cluster={useCluster().name} />;
}

function Karpenter() {
  return <KarpenterPage cluster={useCluster().name} />;
}

function Upgrades() {
  return <UpgradesPage cluster={useCluster()} />;
}

function Helm() {
  return <HelmPage cluster={useCluster().name} />;
}

function HelmRelease() {
  const { ns = "", name = "" } = useParams();
  return <HelmReleasePage key={`${ns}/${name}`} cluster={useCluster().name} namespace={ns} name={name} />;
}

function KindList() {
  return <KindListPage cluster={useCluster().name} />;
}

function CustomList() {
  return <CustomListPage cluster={useCluster().name} />;
}

const router = createBrowserRouter([
    {
      path: "/",
      element: <Shell />,
      children: [
        { index: true, element: <FleetPage /> },
        { path: "audit", element: <AuditPage /> },
        {
          path: "clusters/:cluster",
          element: <ClusterScope />,
          children: [
            { index: true, element: <Overview /> },
            { path: "crds", element: <Crds /> },
            { path: "karpenter", element: <Karpenter /> },
            { path: "upgrades", element: <Upgrades /> },
            { path: "helm", element: <Helm /> },
            { path: "helm/:ns/:name", element: <HelmRelease /> },
            { path: "customresources/:group/:version/:plural", element: <CustomList /> },
            { path: ":plural", element: <KindList /> },
          ],
        },
        { path: "*", element: <NotFound /> },
      ],
    },
  ]);

export function App() {
  return (
    <AuthGate>
      {(user) => (
        <UserContext.Provider value={user}>
          <RouterProvider router={router} />
        </UserContext.Provider>
      )}
    </AuthGate>
  );
}
