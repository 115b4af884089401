"""How students find the class: the address, the join link with the code, and a QR code that decodes back to it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mirror.services import join
from mirror.services.join import class_address, join_link, qr_code, qr_png


def test_the_address_is_the_public_url_else_this_machines_lan_address():
    assert class_address("https://mirror.school.example/ ", 8501) == "https://mirror.school.example"
    assert class_address(None, 8501, host="192.168.1.20") == "http://192.168.1.20:8501"
    assert class_address("", 8502, host="10.0.0.7") == "http://10.0.0.7:8502"


def test_without_a_network_address_the_address_is_localhost(monkeypatch):
    monkeypatch.setattr(join, "lan_address", lambda: None)
    assert class_address(None, 8501) == "http://localhost:8501"


def test_the_lan_address_is_never_loopback(monkeypatch):
    infos = [(2, 1, 6, "", ("127.0.1.1", 0)), (2, 1, 6, "", ("192.168.0.12", 0))]
    monkeypatch.setattr(join.socket, "getaddrinfo", lambda *a, **k: infos)
    assert join.lan_address() == "192.168.0.12"
    monkeypatch.setattr(join.socket, "getaddrinfo", lambda *a, **k: infos[:1])
    assert join.lan_address() is None


def test_the_join_link_opens_the_class_page_with_the_code():
    assert join_link("http://192.168.1.20:8501/", " abcd ") == "http://192.168.1.20:8501/Class?join=ABCD"
    from mirror.ui.pages import CLASS

    assert join.CLASS_PATH == CLASS.url_path


@pytest.mark.parametrize("link", ["http://192.168.1.20:8501/Class?join=ABCD",
                                  "https://mirror.school.example/Class?join=QXZW"])
def test_the_qr_image_decodes_back_to_the_join_link(link):
    zxingcpp = pytest.importorskip("zxingcpp")
    image = Image.open(io.BytesIO(qr_png(link)))
    [found] = zxingcpp.read_barcodes(image)
    assert found.text == link and found.format == zxingcpp.BarcodeFormat.QRCode


def test_the_qr_image_is_the_encoders_matrix_module_for_module():
    """Independent of a decoder: sample the PNG at each module's centre and compare with segno's matrix."""
    link, scale, border = "http://192.168.1.20:8501/Class?join=ABCD", 12, 4
    image = Image.open(io.BytesIO(qr_png(link, scale=scale))).convert("L")
    matrix = qr_code(link).matrix
    size = len(matrix)
    assert image.size == ((size + 2 * border) * scale,) * 2
    for row in range(size):
        for column in range(size):
            x, y = (column + border) * scale + scale // 2, (row + border) * scale + scale // 2
            assert (image.getpixel((x, y)) < 128) == bool(matrix[row][column]), (row, column)
