"""Fake KMA ASOS: the answers' envelopes, the two error layers of apis.data.go.kr: the portal gateway
(``OpenAPI_ServiceResponse`` XML, HTTP 200 even when JSON was asked for) and the provider envelope
(``response/header`` with a non-``00`` resultCode and no body, in the requested format)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from devtools.emulator.common import (
    XML_TYPE,
    Answer,
    json_answer,
)

MSG_NORMAL = "NORMAL_SERVICE"
MSG_NO_DATA = "NO_DATA"
MSG_INVALID = "INVALID_REQUEST_PARAMETER_ERROR"
MSG_NO_MANDATORY = "NO_MANDATORY_REQUEST_PARAMETERS_ERROR"
MSG_NOT_PUBLISHED = "전날 자료까지 제공됩니다."
MSG_TOO_OLD = "최근 1일 간의 자료만 제공합니다."

# --------------------------------------------------------------------------------------------------------- #
# Envelopes                                                                                                 #
# --------------------------------------------------------------------------------------------------------- #

_CLASSIC_GATEWAY = """<OpenAPI_ServiceResponse>
	<cmmMsgHeader>
		<errMsg>SERVICE ERROR</errMsg>
		<returnAuthMsg>{token}</returnAuthMsg>
		<returnReasonCode>{code}</returnReasonCode>
	</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""

_NEW_GATEWAY = """<?xml version="1.0" encoding="UTF-8"?>
<OpenAPI_ServiceResponse>
<cmmMsgHeader>
  <errMsg>{token}</errMsg>
  <returnAuthMsg>{text}</returnAuthMsg>
  <returnReasonCode>{code}</returnReasonCode>
</cmmMsgHeader>
</OpenAPI_ServiceResponse>"""

KEY_NOT_REGISTERED = ("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "등록되지 않은 서비스키")
QUOTA_EXCEEDED = ("22", "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "서비스 요청제한횟수 초과에러")

HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def classic_gateway(error: tuple[str, str, str], status: int = 200) -> Answer:
    code, token, _ = error
    body = _CLASSIC_GATEWAY.format(token=token, code=code).encode("utf-8")
    return Answer(status=status, body=body, content_type=XML_TYPE, result=f"gateway:{code}")


def new_gateway_xml(error: tuple[str, str, str], status: int = 403) -> Answer:
    code, token, text = error
    body = _NEW_GATEWAY.format(token=token, text=text, code=code).encode("utf-8")
    return Answer(status=status, body=body, content_type=XML_TYPE, result=f"gateway:{code}")


def gateway_json(error: tuple[str, str, str], status: int = 403) -> Answer:
    code, token, text = error
    document = {"OpenAPI_ServiceResponse": {"cmmMsgHeader": {"errMsg": token, "returnAuthMsg": text,
                                                              "returnReasonCode": code}}}  # fmt: skip
    return json_answer(document, status=status, result=f"gateway:{code}")


def _xml_item(row: dict[str, str]) -> str:
    return (
        "<item>" + "".join(f"<{key}>{escape(str(value))}</{key}>" for key, value in row.items()) + "</item>"
    )


def provider_error(code: str, message: str, fmt: str) -> Answer:
    """The provider envelope with a header only, in the requested format, HTTP 200."""
    if fmt == "JSON":
        return json_answer({"response": {"header": {"resultCode": code, "resultMsg": message}}}, result=code)
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f"<response><header><resultCode>{code}</resultCode><resultMsg>{escape(message)}</resultMsg>"
        "</header></response>"
    )
    return Answer(body=body.encode("utf-8"), content_type=XML_TYPE, result=code)


def success(
    rows: list[dict[str, str]], page_no: int, num_rows: int, total: int, fmt: str, items: str
) -> Answer:
    """``items``: "list" (normal), "object" (one row as an object), "empty_string" (``""``), "missing"."""
    if fmt == "JSON":
        body: dict[str, object] = {"dataType": "JSON"}
        if items == "list":
            body["items"] = {"item": rows}
        elif items == "object":
            body["items"] = {"item": rows[0]}
        elif items == "empty_string":
            body["items"] = ""
        body.update(pageNo=page_no, numOfRows=num_rows, totalCount=total)
        document = {"response": {"header": {"resultCode": "00", "resultMsg": MSG_NORMAL}, "body": body}}
        return json_answer(document, result="00")
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f"<response><header><resultCode>00</resultCode><resultMsg>{MSG_NORMAL}</resultMsg></header>",
        "<body><dataType>XML</dataType>",
    ]
    if items in ("list", "object"):
        parts.append("<items>" + "".join(_xml_item(row) for row in rows) + "</items>")
    elif items == "empty_string":
        parts.append("<items></items>")
    parts.append(
        f"<numOfRows>{num_rows}</numOfRows><pageNo>{page_no}</pageNo><totalCount>{total}</totalCount>"
        "</body></response>"
    )
    return Answer(body="".join(parts).encode("utf-8"), content_type=XML_TYPE, result="00")
