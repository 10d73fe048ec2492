#pragma once
// The outbox as the drain sees it: rows to send, each with the transaction id fixed before its
// first try, and what became of each. The store implements it (the rows are queued in the same
// transaction as the effects that caused them); the drain (matrix/outbox.hpp) only reads and marks.
// Here in common, below both, so that neither the store nor matrix includes the other.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace reflexbot {

/// What an outbox row asks the homeserver to do.
enum class OutboxKind { send, join, leave };

/// A row of the outbox.
struct OutboxItem {
  std::int64_t id = 0;
  OutboxKind kind = OutboxKind::send;
  std::string room_id;
  std::string event_type;  ///< for send
  std::string txn_id;      ///< fixed before the first try
  std::string content;     ///< event content as JSON (send), reason (leave)
  std::int64_t attempts = 0;
  /// An anonymous post or a row for a direct chat: delivered without naming its room or ids in
  /// the log. A direct chat's row is deleted once delivered or given up; an anonymous post's row
  /// keeps only hour-coarse times (its event id lets a redaction find the contribution).
  bool confidential = false;
  bool encrypted = false;  ///< the room is encrypted: the row goes out only as m.room.encrypted
  /// A file waits to be uploaded (OutboxQueue::outbox_media) before the event can be sent.
  bool media = false;
  /// A collected message's ✅, kept as state of its contribution, not as an outbox row: the
  /// event it reacts to. Marked by OutboxQueue::outbox_ack_done (sent or given up); its
  /// ciphertext is not stored (a retry after a restart encrypts it again, with the same
  /// transaction id), and its `id` is no outbox row's.
  std::string ack_of;
};

/// The file of an m.image (or other media) row, kept until the event carries its URI.
struct OutboxMedia {
  std::string bytes;        ///< as uploaded: the ciphertext once encrypted
  std::string mimetype;     ///< of the file itself (the event's info.mimetype)
  std::string filename;     ///< the event's filename
  std::string file_info;    ///< encrypted attachment: the `file` object without url, as JSON
  std::string content_uri;  ///< mxc:// once uploaded: a retry or restart reuses it
};

/// The queue the outbox drains, in order.
class OutboxQueue {
 public:
  /// Pending rows, oldest first, leaves (declined invites) after everything else: a flood of
  /// invites must not hold back replies. Order within a room is kept.
  virtual std::vector<OutboxItem> pending_outbox(std::size_t limit) = 0;
  /// Records a delivered row with the homeserver's event id (empty for join/leave) and empties
  /// its content; a direct chat's row is deleted.
  virtual void outbox_sent(std::int64_t id, const std::string& remote_event_id,
                           std::int64_t now_ms) = 0;
  /// Records a row sent before its unit of work committed (matrix::Outbox::send_early), found by
  /// its transaction id; nothing if no such row is pending (the unit rolled back).
  virtual void outbox_sent_txn(const std::string& txn_id, const std::string& remote_event_id,
                               std::int64_t now_ms) = 0;
  /// Records a ✅ item (`ack_of`) as sent or given up, found by its room and the event it
  /// reacts to; nothing if that contribution is gone or its ✅ was marked already.
  virtual void outbox_ack_done(const std::string& room_id, const std::string& event_id) = 0;
  /// Records a failed try; `permanent` gives the row up and empties its content.
  virtual void outbox_failed(std::int64_t id, const std::string& error, bool permanent) = 0;
  /// Replaces a pending row's type and content by its ciphertext after a failed try, so that the
  /// retry or a restart re-sends the same ciphertext with the same transaction id. (A row
  /// delivered at its first try is never rewritten: it is marked sent and emptied.)
  virtual void outbox_encrypted(std::int64_t id, const std::string& event_type,
                                const std::string& content) = 0;
  /// The file a pending media row still waits for, if any.
  virtual std::optional<OutboxMedia> outbox_media(std::int64_t id) = 0;
  /// Replaces the file by its ciphertext and records its key, before the upload.
  virtual void outbox_media_encrypted(std::int64_t id, const std::string& ciphertext,
                                      const std::string& file_info) = 0;
  /// Records the uploaded file's URI.
  virtual void outbox_media_uploaded(std::int64_t id, const std::string& content_uri) = 0;
  /// Replaces the row's content by the event that names the uploaded file and forgets the file,
  /// in one transaction.
  virtual void outbox_media_attached(std::int64_t id, const std::string& content) = 0;

 protected:
  OutboxQueue() = default;
  OutboxQueue(const OutboxQueue&) = default;
  OutboxQueue& operator=(const OutboxQueue&) = default;
  ~OutboxQueue() = default;
};

}  // namespace reflexbot
