import { API } from "../api/paths";
import { useAuthConfig } from "../api/queries";

/** Shown when the server answers 401: one button that starts the server-side sign-in flow. */
export function SignIn() {
  const config = useAuthConfig();
  const provider = config.data?.providerName || "your identity provider";
  return (
    <div className="signin">
      <div className="signin-card">
        <img src="/favicon.svg" alt="" width={40} height={40} />
        <h1>Periscope</h1>
        <p className="text-muted">Sign in to see and operate your clusters.</p>
        <a className="btn btn-primary" href={API.login}>
          Sign in with {provider}
        </a>
      </div>
    </div>
  );
}
