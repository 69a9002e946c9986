/** A user's flags as badges: admin and inactive stand out; an ordinary user reads "Active", so no cell is blank. */
export function UserBadges({ admin, active }: { admin: boolean; active: boolean }) {
  return (
    <span className="users-badges">
      {admin ? <span className="badge users-admin">Admin</span> : null}
      {active ? <span className="badge users-active">Active</span> : <span className="badge users-inactive">Inactive</span>}
    </span>
  );
}
