"""A stand-in for the VK API (methods under /method/, the documents' upload server, files
under /files/) on loopback, and Callback API deliveries as VK posts them."""

from __future__ import annotations

import itertools

from .http_stand_in import Call, RecordingServer

ACCESS_TOKEN = "vk1.a.StandInCommunityAccessToken0123456789"
GROUP_ID = "218790001"
CONFIRMATION = "c4d9a1b2"


class VKStandIn(RecordingServer):
    def __init__(self):
        super().__init__()
        self.files: dict[str, bytes] = {}  # a name under /files/ -> bytes
        self.refuse: set[str] = set()  # methods to answer with an error
        self.people: dict[int, dict] = {}  # a user's id -> first_name, last_name
        self._ids = itertools.count(500)

    @property
    def api(self) -> str:
        return f"{self.url}/method"

    def handle(self, call: Call):
        path = call.path.strip("/")
        if path.startswith("files/"):
            data = self.files.get(path.removeprefix("files/"))
            return (200, data, "application/octet-stream") if data else (404, b"", "text/plain")
        if path == "upload/doc":
            [(name, _type, _data)] = call.files.values()
            return 200, {"file": f"uploaded|{name}"}, "application/json"
        method = path.removeprefix("method/")
        if call.body.get("access_token") != ACCESS_TOKEN or method in self.refuse:
            error = {
                "error_code": 5,
                "error_msg": "User authorization failed: invalid access_token (4).",
            }
            return 200, {"error": error}, "application/json"
        if method == "groups.getById":
            answer = {"groups": [{"id": int(call.body["group_id"]), "name": "Acme"}]}
        elif method == "users.get":
            user = int(call.body["user_ids"])
            answer = [{"id": user, **self.people[user]}] if user in self.people else []
        elif method == "messages.send":
            answer = next(self._ids)
        elif method == "docs.getMessagesUploadServer":
            answer = {"upload_url": f"{self.url}/upload/doc"}
        elif method == "docs.save":
            answer = {
                "type": "doc",
                "doc": {
                    "id": next(self._ids),
                    "owner_id": -int(GROUP_ID),
                    "title": call.body.get("title"),
                },
            }
        else:
            return (
                200,
                {"error": {"error_code": 3, "error_msg": "Unknown method passed."}},
                "application/json",
            )
        return 200, {"response": answer}, "application/json"

    def called(self, method: str) -> list[dict]:
        return [c.body for c in self.calls if c.path == f"/method/{method}"]


def message_new(
    event_id: str,
    text: str = "Здравствуйте!",
    *,
    peer_id: int = 15150001,
    number: int = 1,
    secret: str = "",
    attachments=None,
    date: int = 1767225600,
) -> dict:
    message = {
        "date": date,
        "from_id": peer_id,
        "id": number + 100,
        "out": 0,
        "peer_id": peer_id,
        "text": text,
        "conversation_message_id": number,
        "attachments": attachments or [],
    }
    return {
        "group_id": int(GROUP_ID),
        "type": "message_new",
        "event_id": event_id,
        "v": "5.199",
        "object": {"message": message, "client_info": {"keyboard": True}},
        "secret": secret,
    }


def confirmation(secret: str = "") -> dict:
    return {"type": "confirmation", "group_id": int(GROUP_ID), "secret": secret}


def connect_vk(owner, vk_api, name="VK"):
    from crm.tenancy.context import tenant_scope
    from integrations import services

    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind="vk",
            name=name,
            raw_settings={
                "access_token": ACCESS_TOKEN,
                "group_id": GROUP_ID,
                "confirmation_code": CONFIRMATION,
                "api_base_url": vk_api.api,
            },
        )
