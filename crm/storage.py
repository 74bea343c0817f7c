"""The default file storage: Django's file system storage that leaves nothing half-written.

Django's FileSystemStorage writes straight into the final path; a write that fails midway (a
full disk: ENOSPC, a quota: EDQUOT) leaves the partial file there. This one removes it before
the error goes on, so a failed upload leaves neither a file nor (the row is saved after the
file, in the same transaction) a row pointing at one. The error then reaches handler500,
which answers 507 with a page that says the server is out of room (crm/web/outage.py).
"""

from __future__ import annotations

import contextlib
import os

from django.core.files.storage import FileSystemStorage


class Storage(FileSystemStorage):
    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.exists(path)
        try:
            return super()._save(name, content)
        except OSError:
            if not existed:
                with contextlib.suppress(OSError):
                    os.remove(path)
            raise
