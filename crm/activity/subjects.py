"""Other apps keep figures derived from a record's tasks (a deal's next activity, say).

An app registers `fn(object_id)` for an object type; the task services call
`changed(object_type, object_id)` inside their transaction after every change to a task
about that record.
"""

HOOKS = {}


def register(object_type, fn):
    HOOKS.setdefault(object_type, []).append(fn)


def changed(object_type, object_id):
    for fn in HOOKS.get(object_type, []):
        fn(object_id)
