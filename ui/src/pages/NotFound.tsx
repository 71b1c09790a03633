import { Link } from "react-router";
import { Empty } from "../ui/states";

export function NotFound({ what = "page" }: { what?: string }) {
  return (
    <Empty title={`No such ${what}`}>
      <Link to="/">Back to the fleet</Link>
    </Empty>
  );
}
