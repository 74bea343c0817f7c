"""PostgreSQL backend that hands the current tenant to row-level security.

Before a cursor is used, the connection's `app.tenant_id` / `app.user_id` settings are brought
in line with the current scope (crm.tenancy.context). The setting is session-level and only
sent when the scope changed, so it costs one round trip per switch, not per query; a rollback
may undo it, so any rollback forgets what was sent. The same idea as django-tenants' lazily
set search_path.
"""

from django.db.backends.postgresql import base

from crm.tenancy.context import current_scope

SET_SCOPE_SQL = (
    "SELECT set_config('app.tenant_id', %s, false), set_config('app.user_id', %s, false)"
)


class DatabaseWrapper(base.DatabaseWrapper):
    _rls_sent = None

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        scope = current_scope()
        wanted = (scope.tenant_id, scope.user_id)
        if self._rls_sent != wanted:
            with self.wrap_database_errors, self.connection.cursor() as raw:
                raw.execute(SET_SCOPE_SQL, [_text(scope.tenant_id), _text(scope.user_id)])
            self._rls_sent = wanted
        return cursor

    def _forget_scope(self):
        self._rls_sent = None

    def get_new_connection(self, conn_params):
        self._forget_scope()
        return super().get_new_connection(conn_params)

    def _rollback(self):
        self._forget_scope()
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        # Straight on the raw connection: the transaction may be aborted, so nothing else
        # (such as syncing the scope) can run before the rollback.
        with self.wrap_database_errors, self.connection.cursor() as raw:
            raw.execute(self.ops.savepoint_rollback_sql(sid))
        self._forget_scope()


def _text(value) -> str:
    return "" if value is None else str(value)
