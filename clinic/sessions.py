"""Django's database sessions, with the session row read by `clinic.rows.by_pk`: every
signed-in request reads it. Expired sessions are refused as Django refuses them. (The
async path is Django's own.)"""

from django.contrib.sessions.backends import db
from django.utils import timezone

from clinic.rows import by_pk


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = by_pk(self.model, self.session_key) if self.session_key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
