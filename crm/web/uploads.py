"""Upload size limits enforced while the file arrives, not after it is on disk.

Mark a view with `@upload_limit(callable returning bytes)`; UploadLimitMiddleware then puts a
LimitedUploadHandler first among the request's upload handlers. A file that announces a larger
size, or grows past the limit while it streams in, is skipped: the parts already written are
deleted, the rest of it is read and thrown away (so the browser still gets an answer), and the
other form fields (the CSRF token among them) arrive as usual. The view finds the refused file
in `request.upload_refused` and answers with its own message.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadhandler import FileUploadHandler, SkipFile


@dataclass(frozen=True)
class RefusedUpload:
    name: str
    limit: int
    size: int | None  # the size the client announced, when it did


def upload_limit(limit):
    """Mark a view: files posted to it may be at most `limit()` bytes each."""

    def mark(view):
        view.upload_limit = limit
        return view

    return mark


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        request.upload_refused = None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None,
                 content_type_extra=None):  # fmt: skip
        super().new_file(field_name, file_name, content_type, content_length, charset,
                         content_type_extra)  # fmt: skip
        if content_length is not None and content_length > self.limit:
            self._refuse(content_length)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self._refuse(None)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file

    def _refuse(self, size):
        self.request.upload_refused = RefusedUpload(self.file_name, self.limit, size)
        raise SkipFile
