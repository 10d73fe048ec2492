#include "core/texts.hpp"

namespace reflexbot::core {
namespace {

constexpr Texts kGerman{
    .pong = "Pong! Reflexbot ist da und hört zu.",
    .help_intro = "Reflexbot begleitet Reflexionsrunden in diesem Raum. Befehle:",
    .help_ping = "prüft, ob der Bot erreichbar ist",
    .help_help = "zeigt diese Hilfe",
    .help_footer = "Englische Befehle (!help …) funktionieren ebenso.",
    .unknown_command_before = "Den Befehl „!",
    .unknown_command_after = "“ kenne ich nicht. Mit !hilfe sehen Sie alle Befehle.",
    .encrypted_room =
        "Hinweis: Dieser Raum ist verschlüsselt. Reflexbot kann verschlüsselte Nachrichten "
        "derzeit nicht lesen und daher hier keine Beiträge sammeln oder auf Befehle antworten. "
        "Für Reflexionsrunden bitte einen unverschlüsselten Raum verwenden.",
};

constexpr Texts kEnglish{
    .pong = "Pong! Reflexbot is here and listening.",
    .help_intro = "Reflexbot guides reflection rounds in this room. Commands:",
    .help_ping = "checks that the bot is reachable",
    .help_help = "shows this help",
    .help_footer = "German commands (!hilfe …) work as well.",
    .unknown_command_before = "I don't know the command \"!",
    .unknown_command_after = "\". Send !help to see all commands.",
    .encrypted_room =
        "Note: this room is encrypted. Reflexbot cannot read encrypted messages yet, so it "
        "cannot collect contributions or answer commands here. Please use an unencrypted room "
        "for reflection rounds.",
};

}  // namespace

const Texts& texts(Language language) { return language == Language::en ? kEnglish : kGerman; }

}  // namespace reflexbot::core
