"""The recovery key (secret storage, Element's "recovery"): the bot keeps its private
cross-signing keys in its account's secret storage under a key the operator holds; after its
database and crypto store are lost it takes the same identity back on a new device.

Checked independently of the bot's code: the stored secret is decrypted here with the spec's
algorithm (HKDF-SHA-256, AES-CTR-256, HMAC-SHA-256; the `cryptography` package) and the master
private key it holds must be the one whose public key /keys/query shows (PyNaCl)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import subprocess

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.signing import SigningKey

from e2ee import e2ee, wait_cross_signed  # noqa: F401 (fixture)
from helpers import ensure_alive, give_password, run_cli, wait_for
from localhs import REPO_ROOT, Client, MatrixError
from test_e2ee import encrypted_room, invite_bot

TEMPLATES_DIR = REPO_ROOT / "config" / "templates"
BITCOIN = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + BITCOIN.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def unpadded_b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def recovery_key_bytes(recovery_key: str) -> bytes:
    decoded = base58_decode("".join(recovery_key.split()))
    assert len(decoded) == 35 and decoded[:2] == b"\x8b\x01", "the spec's prefix"
    parity = 0
    for byte in decoded[:34]:
        parity ^= byte
    assert parity == decoded[34], "the spec's parity byte"
    return decoded[2:34]


def open_secret(key: bytes, name: str, data: dict) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"\0" * 32,
                   info=name.encode()).derive(key)
    ciphertext = unpadded_b64decode(data["ciphertext"])
    mac = hmac.new(derived[32:], ciphertext, hashlib.sha256).digest()
    assert hmac.compare_digest(mac, unpadded_b64decode(data["mac"])), f"{name}: MAC"
    decryptor = Cipher(algorithms.AES(derived[:32]),
                       modes.CTR(unpadded_b64decode(data["iv"]))).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def check_value(key: bytes, description: dict) -> bytes:
    """The spec's check: 32 zero bytes encrypted under the secret name "", then MACed."""
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"\0" * 32, info=b"").derive(key)
    encryptor = Cipher(algorithms.AES(derived[:32]),
                       modes.CTR(unpadded_b64decode(description["iv"]))).encryptor()
    ciphertext = encryptor.update(b"\0" * 32) + encryptor.finalize()
    return hmac.new(derived[32:], ciphertext, hashlib.sha256).digest()


def account_data(bot, kind: str) -> dict:
    """Read with the bot account's own token, as any client of that account could."""
    owner = Client(bot.config["homeserver"], bot.user_id, bot.account.access_token)
    user = bot.user_id.replace("@", "%40").replace(":", "%3A")
    return owner.request("GET", f"/_matrix/client/v3/user/{user}/account_data/{kind}")


def wait_signed(observer, bot, device: str) -> dict:
    return wait_cross_signed(observer.http, bot.user_id, device, lambda: ensure_alive(bot))


def test_a_lost_database_takes_the_same_identity_back_with_the_recovery_key(make_bot, user, e2ee):
    anna = e2ee(user("anna"))
    bot = make_bot(allowlist=[anna.user_id], start=False, templates_dir=TEMPLATES_DIR)
    give_password(bot)
    made = subprocess.run([str(bot.binary), "recovery-key"], capture_output=True, text=True,
                          timeout=30)
    assert made.returncode == 0, made
    recovery_key = made.stdout.strip()
    key_file = bot.dir / "recovery-key"
    key_file.write_text(recovery_key + "\n")
    key_file.chmod(0o600)
    bot.config["recovery_key_file"] = str(key_file)
    bot.write_config()
    bot.start()
    # The crypto machine opens with the first encrypted room (test_e2ee_lazy.py); after the loss
    # below, the bot finds itself in that room again and opens it at once.
    invite_bot(anna, encrypted_room(anna, [], "Wiederherstellung"), bot)
    first_device = bot.config["device_id"]
    first = wait_signed(anna, bot, first_device)

    # What Element would find in secret storage, opened here with the spec's algorithm.
    def stored():
        ensure_alive(bot)
        try:
            return account_data(bot, "m.secret_storage.default_key").get("key")
        except MatrixError:
            return None
    key_id = wait_for(stored, 30, "the default secret storage key in account data")
    description = account_data(bot, f"m.secret_storage.key.{key_id}")
    assert description["algorithm"] == "m.secret_storage.v1.aes-hmac-sha2"
    key = recovery_key_bytes(recovery_key)
    assert check_value(key, description) == unpadded_b64decode(description["mac"]), \
        "the key description's check value fits the recovery key"
    secret = account_data(bot, "m.cross_signing.master")["encrypted"][key_id]
    seed = unpadded_b64decode(open_secret(key, "m.cross_signing.master", secret).decode())
    public = base64.b64encode(bytes(SigningKey(seed).verify_key)).decode().rstrip("=")
    assert public == first["master"], "secret storage holds the published master key"
    assert recovery_key not in bot.log_path.read_text(), "the recovery key is never logged"
    status = run_cli(bot, "status")
    assert "Recovery:      identity stored in secret storage" in status.stdout, status.stdout

    # The database and the crypto store are lost; the bot gets a new device.
    bot.stop(grace=10)
    for path in bot.dir.iterdir():
        if path.name.startswith("reflexbot.db"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    bot.config["device_id"] = "RESTORED"
    del bot.config["access_token_file"]  # the password logs in as the new device
    bot.write_config()
    bot.start()
    second = wait_signed(anna, bot, "RESTORED")
    assert second["master"] == first["master"], "the same identity, not a new one"
    assert second["self_signing"] == first["self_signing"]
    status = run_cli(bot, "status")
    assert "Recovery:      identity restored from secret storage" in status.stdout, status.stdout
    assert recovery_key not in bot.log_path.read_text()
