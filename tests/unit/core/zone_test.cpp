#include "core/zone.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace reflexbot::core {
namespace {

using namespace std::chrono_literals;
using namespace std::chrono;

// Every expected instant below is written by hand (and was checked against the IANA database).
constexpr const char* kBerlin = "CET-1CEST,M3.5.0,M10.5.0/3";

TimeZone zone(std::string_view spec) {
  auto parsed = TimeZone::from_posix(spec);
  EXPECT_TRUE(parsed) << spec;
  return parsed ? *parsed : TimeZone::utc();
}

TimeZone berlin() { return zone(kBerlin); }

local_seconds local(local_days day, seconds time) { return day + time; }

TimePoint at(sys_days day, milliseconds time) { return TimePoint{day} + time; }

// --- parsing ---------------------------------------------------------------------------------

TEST(TimeZoneParse, AcceptsTheFootersOfRealZones) {
  for (const char* spec : {
           "UTC0",
           "CET-1CEST,M3.5.0,M10.5.0/3",
           "EST5EDT,M3.2.0,M11.1.0",
           "AEST-10AEDT,M10.1.0,M4.1.0/3",
           "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
           "IST-2IDT,M3.4.4/26,M10.5.0",
           "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
           "<+0330>-3:30<+0430>,J79/24,J263/24",
           "EST5EDT,0/0,J365/25",
           "<+03>-3",
           "<-03>3",
           "<+0545>-5:45",
           "IST-1GMT0,M10.5.0,M3.5.0/1",
           "AAA+1:02:03",
           "XXX-24",
           "AAA0BBB,59,300",
       }) {
    const auto parsed = TimeZone::from_posix(spec);
    ASSERT_TRUE(parsed) << spec;
    EXPECT_EQ(parsed->spec(), spec);
  }
}

TEST(TimeZoneParse, RefusesMalformedSpecs) {
  const std::vector<std::string> specs = {
      "",
      ",",
      ",,",
      " ",
      "CET",                            // no offset
      "CE-1",                           // name too short
      "C3T-1",                          // digit in an unquoted name
      "CET-",                           // sign without hours
      "CET+",                           //
      "CET-1:",                         // colon without minutes
      "CET-1::",                        //
      "CET-1:60",                       // minutes out of range
      "CET-1:00:60",                    // seconds out of range
      "CET-1:00:00:00",                 // a fourth part
      "CET25",                          // offset beyond 24 h
      "CET-24:60",                      //
      "CET-1 ",                         // trailing space
      " CET-1",                         // leading space
      ":Europe/Berlin",                 // a file, not rules
      "Europe/Berlin",                  //
      "CET-1CEST",                      // DST without rules
      "CET-1CEST-2",                    //
      "CET-1CEST,",                     //
      "CET-1CEST,,",                    // lone commas
      "CET-1CEST,M3.5.0",               // one rule
      "CET-1CEST,M3.5.0,",              //
      "CET-1CEST,,M10.5.0",             //
      "CET-1CEST,M3.5.0,M10.5.0/3,",    // a third rule
      "CET-1CEST,M3.5.0,M10.5.0/3x",    // trailing garbage
      "CET-1CEST,M13.5.0,M10.5.0",      // month 13
      "CET-1CEST,M0.5.0,M10.5.0",       // month 0
      "CET-1CEST,M3.6.0,M10.5.0",       // week 6
      "CET-1CEST,M3.0.0,M10.5.0",       // week 0
      "CET-1CEST,M3.5.7,M10.5.0",       // weekday 7
      "CET-1CEST,M3.5,M10.5.0",         // no weekday
      "CET-1CEST,M3..0,M10.5.0",        //
      "CET-1CEST,J0,J365",              // Jn starts at 1
      "CET-1CEST,J366,J1",              //
      "CET-1CEST,366,0",                // n ends at 365
      "CET-1CEST,M3.5.0/,M10.5.0",      // slash without time
      "CET-1CEST,M3.5.0/-,M10.5.0",     //
      "CET-1CEST,M3.5.0/168,M10.5.0",   // beyond the ±167 h of RFC 8536
      "CET-1CEST,M3.5.0/-168,M10.5.0",  //
      "CET99999999999999999999",        // huge numbers
      "CET-1CEST,M3.5.0/99999999999999999999,M10.5.0",
      "CET-1CEST,J99999999999999999999,J1",
      "CET-1CEST,M99999999999999999999.5.0,M10.5.0",
      "<+03-3",                                       // unterminated quote
      "<+3>-3",                                       // quoted name too short
      "<+0 3>-3",                                     // space in a quoted name
      "<>0",                                          //
      "CET-1CEST,M3.5.0,M10.5.0\n",                   // a footer with its newline
      std::string("CET-1\0CEST,M3.5.0,M10.5.0", 25),  // an embedded NUL
      std::string(100000, ','),
      std::string(100000, '<'),
      std::string(100000, '9'),
      "CET" + std::string(100000, '1'),
  };
  for (const auto& spec : specs) {
    EXPECT_EQ(TimeZone::from_posix(spec), std::nullopt) << '"' << spec.substr(0, 60) << '"';
  }
}

TEST(TimeZoneParse, EveryPrefixOfAValidSpecIsHandled) {
  const std::string spec = "<+1030>-10:30<+11>-11,M10.1.0/2:00:00,J100/-167";
  const std::string rules = "<+1030>-10:30<+11>-11,M10.1.0/2:00:00,";
  ASSERT_TRUE(TimeZone::from_posix(spec));
  const std::vector<std::string> complete = {
      "<+1030>-1",   "<+1030>-10",   "<+1030>-10:3",    "<+1030>-10:30",    rules + "J1",
      rules + "J10", rules + "J100", rules + "J100/-1", rules + "J100/-16",
  };
  for (std::size_t length = 0; length < spec.size(); ++length) {
    const auto prefix = spec.substr(0, length);
    const bool expected = std::find(complete.begin(), complete.end(), prefix) != complete.end();
    EXPECT_EQ(TimeZone::from_posix(prefix).has_value(), expected) << prefix;
  }
}

TEST(TimeZoneParse, OffsetsAreWestPositiveInTheSpecAndEastPositiveHere) {
  EXPECT_EQ(zone("<+0545>-5:45").offset_at(sys_days{2026y / June / 1}), 5h + 45min);
  EXPECT_EQ(zone("AAA+1:02:03").offset_at(sys_days{2026y / June / 1}), -(1h + 2min + 3s));
  EXPECT_EQ(zone("<-03>3").offset_at(sys_days{2026y / June / 1}), -3h);
  EXPECT_EQ(zone("XXX-24").offset_at(sys_days{2026y / June / 1}), 24h);
}

TEST(TimeZoneParse, UtcHasNoOffsetAndNoDst) {
  const TimeZone utc = TimeZone::utc();
  EXPECT_EQ(utc.spec(), "UTC0");
  EXPECT_FALSE(utc.has_dst());
  EXPECT_EQ(utc, zone("UTC0"));
  EXPECT_EQ(utc.offset_at(sys_days{2026y / March / 29} + 1h), 0s);
  EXPECT_EQ(utc.to_utc(local(local_days{2026y / March / 29}, 2h + 30min)),
            sys_days{2026y / March / 29} + 2h + 30min);
}

// --- Europe/Berlin ---------------------------------------------------------------------------

struct Changes {
  sys_days spring;  // last Sunday of March; clocks go 02:00 CET → 03:00 CEST at 01:00 UTC
  sys_days autumn;  // last Sunday of October; 03:00 CEST → 02:00 CET at 01:00 UTC
};

TEST(TimeZoneBerlin, OffsetChangesAtOneUtcOnTheLastSundays) {
  const TimeZone tz = berlin();
  EXPECT_TRUE(tz.has_dst());
  const std::vector<Changes> years = {
      {sys_days{2021y / March / 28}, sys_days{2021y / October / 31}},  // October 31 is a Sunday
      {sys_days{2024y / March / 31}, sys_days{2024y / October / 27}},  // March 31 is a Sunday
      {sys_days{2025y / March / 30}, sys_days{2025y / October / 26}},
      {sys_days{2026y / March / 29}, sys_days{2026y / October / 25}},
      {sys_days{2027y / March / 28}, sys_days{2027y / October / 31}},
  };
  for (const auto& [spring, autumn] : years) {
    SCOPED_TRACE(static_cast<int>(year_month_day{spring}.year()));
    EXPECT_EQ(tz.offset_at(spring + 1h - 1s), 1h);
    EXPECT_EQ(tz.offset_at(spring + 1h), 2h);
    EXPECT_EQ(tz.offset_at(autumn + 1h - 1s), 2h);
    EXPECT_EQ(tz.offset_at(autumn + 1h), 1h);
    // A week either side, and around the new year.
    EXPECT_EQ(tz.offset_at(spring - days{7}), 1h);
    EXPECT_EQ(tz.offset_at(spring + days{7}), 2h);
    EXPECT_EQ(tz.offset_at(autumn - days{7}), 2h);
    EXPECT_EQ(tz.offset_at(autumn + days{7}), 1h);
  }
  EXPECT_EQ(tz.offset_at(sys_days{2026y / January / 1}), 1h);
  EXPECT_EQ(tz.offset_at(sys_days{2025y / December / 31} + 23h + 59min + 59s), 1h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / July / 1}), 2h);
}

TEST(TimeZoneBerlin, ToLocalFollowsTheOffset) {
  const TimeZone tz = berlin();
  EXPECT_EQ(tz.to_local(sys_days{2026y / March / 29} + 1h - 1s),
            local(local_days{2026y / March / 29}, 1h + 59min + 59s));
  EXPECT_EQ(tz.to_local(sys_days{2026y / March / 29} + 1h),
            local(local_days{2026y / March / 29}, 3h));
  EXPECT_EQ(tz.to_local(sys_days{2026y / October / 25} + 1h - 1s),
            local(local_days{2026y / October / 25}, 2h + 59min + 59s));
  EXPECT_EQ(tz.to_local(sys_days{2026y / October / 25} + 1h),
            local(local_days{2026y / October / 25}, 2h));
}

TEST(TimeZoneBerlin, ATimeInTheSpringGapMovesForwardByTheGap) {
  const TimeZone tz = berlin();
  const local_days day{2026y / March / 29};
  const sys_days utc_day{2026y / March / 29};
  EXPECT_EQ(tz.to_utc(local(day, 1h + 59min + 59s)), utc_day + 59min + 59s);  // CET
  EXPECT_EQ(tz.to_utc(local(day, 2h)), utc_day + 1h);                         // = 03:00 CEST
  EXPECT_EQ(tz.to_utc(local(day, 2h + 30min)), utc_day + 1h + 30min);         // = 03:30 CEST
  EXPECT_EQ(tz.to_utc(local(day, 2h + 59min + 59s)), utc_day + 1h + 59min + 59s);
  EXPECT_EQ(tz.to_utc(local(day, 3h)), utc_day + 1h);  // CEST
  EXPECT_EQ(tz.to_utc(local(day, 3h + 30min)), utc_day + 1h + 30min);
}

TEST(TimeZoneBerlin, AnAmbiguousAutumnTimeGivesTheEarlierInstant) {
  const TimeZone tz = berlin();
  const local_days day{2026y / October / 25};
  const sys_days utc_day{2026y / October / 25};
  EXPECT_EQ(tz.to_utc(local(day, 1h + 59min)), utc_day - 1min);   // CEST only
  EXPECT_EQ(tz.to_utc(local(day, 2h)), utc_day);                  // CEST, not CET
  EXPECT_EQ(tz.to_utc(local(day, 2h + 30min)), utc_day + 30min);  // CEST, not CET
  EXPECT_EQ(tz.to_utc(local(day, 2h + 59min + 59s)), utc_day + 59min + 59s);
  EXPECT_EQ(tz.to_utc(local(day, 3h)), utc_day + 2h);  // CET only
  // Both instants read 02:30 locally.
  EXPECT_EQ(tz.to_local(utc_day + 30min), local(day, 2h + 30min));
  EXPECT_EQ(tz.to_local(utc_day + 1h + 30min), local(day, 2h + 30min));
}

// --- other rules -----------------------------------------------------------------------------

TEST(TimeZoneRules, SouthernHemisphereDstSpansTheNewYear) {
  const TimeZone tz = zone("AEST-10AEDT,M10.1.0,M4.1.0/3");  // Australia/Sydney
  // DST ends on Sunday April 5, 2026, 03:00 AEDT; starts on Sunday October 4, 02:00 AEST.
  EXPECT_EQ(tz.offset_at(sys_days{2026y / January / 15}), 11h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / April / 4} + 16h - 1s), 11h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / April / 4} + 16h), 10h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / July / 1}), 10h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / October / 3} + 16h - 1s), 10h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / October / 3} + 16h), 11h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / December / 31} + 23h), 11h);
  // The gap in October and the overlap in April.
  EXPECT_EQ(tz.to_utc(local(local_days{2026y / October / 4}, 2h + 30min)),
            sys_days{2026y / October / 3} + 16h + 30min);
  EXPECT_EQ(tz.to_utc(local(local_days{2026y / April / 5}, 2h + 30min)),
            sys_days{2026y / April / 4} + 15h + 30min);
}

TEST(TimeZoneRules, HalfHourDst) {
  const TimeZone tz = zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");  // Australia/Lord_Howe
  EXPECT_EQ(tz.offset_at(sys_days{2026y / April / 4} + 15h - 1s), 11h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / April / 4} + 15h), 10h + 30min);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / October / 3} + 15h + 30min - 1s), 10h + 30min);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / October / 3} + 15h + 30min), 11h);
}

TEST(TimeZoneRules, JulianDaysNeverCountFebruary29) {
  const TimeZone tz = zone("<+0330>-3:30<+0430>,J79/24,J263/24");  // Asia/Tehran until 2022
  // J79 is March 20 and J263 September 20 in every year; 24:00 is midnight after them.
  for (const year y : {2020y, 2021y}) {
    SCOPED_TRACE(static_cast<int>(y));
    EXPECT_EQ(tz.offset_at(sys_days{y / March / 20} + 20h + 30min - 1s), 3h + 30min);
    EXPECT_EQ(tz.offset_at(sys_days{y / March / 20} + 20h + 30min), 4h + 30min);
    EXPECT_EQ(tz.offset_at(sys_days{y / September / 20} + 19h + 30min - 1s), 4h + 30min);
    EXPECT_EQ(tz.offset_at(sys_days{y / September / 20} + 19h + 30min), 3h + 30min);
  }
}

TEST(TimeZoneRules, ZeroBasedDaysCountFebruary29) {
  const TimeZone tz = zone("AAA0BBB,59,300");
  // Day 59 is February 29 in 2024 and March 1 in 2023; changes at 02:00 local.
  EXPECT_EQ(tz.offset_at(sys_days{2024y / February / 29} + 2h - 1s), 0h);
  EXPECT_EQ(tz.offset_at(sys_days{2024y / February / 29} + 2h), 1h);
  EXPECT_EQ(tz.offset_at(sys_days{2023y / March / 1} + 2h - 1s), 0h);
  EXPECT_EQ(tz.offset_at(sys_days{2023y / March / 1} + 2h), 1h);
}

TEST(TimeZoneRules, RuleTimesBeyondADayAndNegative) {
  // Asia/Jerusalem: the Friday before the last Sunday of March, written as Thursday 26:00.
  const TimeZone jerusalem = zone("IST-2IDT,M3.4.4/26,M10.5.0");
  EXPECT_EQ(jerusalem.offset_at(sys_days{2026y / March / 27} - 1s), 2h);
  EXPECT_EQ(jerusalem.offset_at(sys_days{2026y / March / 27}), 3h);
  EXPECT_EQ(jerusalem.offset_at(sys_days{2026y / October / 24} + 23h - 1s), 3h);
  EXPECT_EQ(jerusalem.offset_at(sys_days{2026y / October / 24} + 23h), 2h);
  // America/Nuuk: DST starts at −1:00, i.e. 23:00 on the Saturday before.
  const TimeZone nuuk = zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  EXPECT_EQ(nuuk.offset_at(sys_days{2026y / March / 29} + 1h - 1s), -2h);
  EXPECT_EQ(nuuk.offset_at(sys_days{2026y / March / 29} + 1h), -1h);
  EXPECT_EQ(nuuk.offset_at(sys_days{2026y / October / 25} + 1h - 1s), -1h);
  EXPECT_EQ(nuuk.offset_at(sys_days{2026y / October / 25} + 1h), -2h);
}

TEST(TimeZoneRules, DstAllYearRound) {
  const TimeZone tz = zone("EST5EDT,0/0,J365/25");  // RFC 8536 §3.3.1
  for (const sys_seconds t :
       {sys_seconds{sys_days{2026y / January / 1}}, sys_seconds{sys_days{2026y / January / 1} + 5h},
        sys_seconds{sys_days{2026y / July / 1}},
        sys_seconds{sys_days{2026y / December / 31} + 23h + 59min}}) {
    EXPECT_EQ(tz.offset_at(t), -4h);
  }
}

TEST(TimeZoneRules, NegativeDst) {
  const TimeZone tz = zone("IST-1GMT0,M10.5.0,M3.5.0/1");  // Europe/Dublin: winter is "DST"
  EXPECT_EQ(tz.offset_at(sys_days{2026y / March / 29} + 1h - 1s), 0h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / March / 29} + 1h), 1h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / October / 25} + 1h - 1s), 1h);
  EXPECT_EQ(tz.offset_at(sys_days{2026y / October / 25} + 1h), 0h);
  EXPECT_EQ(tz.to_utc(local(local_days{2026y / March / 29}, 1h + 30min)),
            sys_days{2026y / March / 29} + 1h + 30min);  // gap: 01:30 → 02:30 IST
  EXPECT_EQ(tz.to_utc(local(local_days{2026y / October / 25}, 1h + 30min)),
            sys_days{2026y / October / 25} + 30min);  // overlap: the earlier, IST
}

TEST(TimeZoneRules, ZoneWithoutDst) {
  const TimeZone tz = zone("<+03>-3");  // Europe/Istanbul
  EXPECT_FALSE(tz.has_dst());
  for (const sys_days day : {sys_days{2026y / January / 1}, sys_days{2026y / March / 29},
                             sys_days{2026y / October / 25}}) {
    EXPECT_EQ(tz.offset_at(day + 1h), 3h);
  }
  EXPECT_EQ(tz.to_utc(local(local_days{2026y / March / 29}, 2h + 30min)),
            sys_days{2026y / March / 28} + 23h + 30min);
}

// --- weekly slots ----------------------------------------------------------------------------

WeeklySchedule monday_nine() { return WeeklySchedule{Monday, 9h, berlin()}; }

TEST(WeeklySlots, MondayNineStaysNineAcrossSpringForward) {
  const WeeklySchedule schedule = monday_nine();
  const TimePoint before = at(sys_days{2026y / March / 23}, 8h);  // 09:00 CET
  const TimePoint after = at(sys_days{2026y / March / 30}, 7h);   // 09:00 CEST
  EXPECT_EQ(next_slot_after(schedule, at(sys_days{2026y / March / 20}, 12h)), before);
  EXPECT_EQ(next_slot_after(schedule, before - 1ms), before);
  EXPECT_EQ(next_slot_after(schedule, before), after);
  EXPECT_EQ(after - before, days{7} - 1h);
  EXPECT_EQ(next_slot_after(schedule, after), at(sys_days{2026y / April / 6}, 7h));
  EXPECT_EQ(last_slot_at_or_before(schedule, after - 1ms), before);
  EXPECT_EQ(last_slot_at_or_before(schedule, after), after);
  EXPECT_EQ(schedule.zone.to_local(floor<seconds>(after)),
            local(local_days{2026y / March / 30}, 9h));
}

TEST(WeeklySlots, MondayNineStaysNineAcrossFallBack) {
  const WeeklySchedule schedule = monday_nine();
  const TimePoint before = at(sys_days{2026y / October / 19}, 7h);  // 09:00 CEST
  const TimePoint after = at(sys_days{2026y / October / 26}, 8h);   // 09:00 CET
  EXPECT_EQ(next_slot_after(schedule, before), after);
  EXPECT_EQ(after - before, days{7} + 1h);
  // The Sunday of the change and the hour the UTC slot moved by.
  EXPECT_EQ(next_slot_after(schedule, at(sys_days{2026y / October / 25}, 1h)), after);
  EXPECT_EQ(next_slot_after(schedule, at(sys_days{2026y / October / 26}, 7h)), after);
  EXPECT_EQ(last_slot_at_or_before(schedule, at(sys_days{2026y / October / 26}, 7h + 30min)),
            before);
  EXPECT_EQ(last_slot_at_or_before(schedule, after + 1ms), after);
}

TEST(WeeklySlots, FromEveryHourOfAWeekTheNextSlotIsTheSame) {
  const WeeklySchedule schedule = monday_nine();
  const TimePoint slot = at(sys_days{2026y / March / 30}, 7h);
  const TimePoint previous = at(sys_days{2026y / March / 23}, 8h);
  for (TimePoint t = previous; t < slot; t += 1h) {
    EXPECT_EQ(next_slot_after(schedule, t), slot);
    EXPECT_EQ(last_slot_at_or_before(schedule, t), previous);
  }
}

TEST(WeeklySlots, ASlotInTheSpringGapComesAtTheShiftedTime) {
  const WeeklySchedule schedule{Sunday, 2h + 30min, berlin()};
  const TimePoint week_before = at(sys_days{2026y / March / 22}, 1h + 30min);  // 02:30 CET
  const TimePoint gap_day = at(sys_days{2026y / March / 29}, 1h + 30min);      // 03:30 CEST
  const TimePoint week_after = at(sys_days{2026y / April / 5}, 30min);         // 02:30 CEST
  EXPECT_EQ(next_slot_after(schedule, at(sys_days{2026y / March / 28}, 12h)), gap_day);
  EXPECT_EQ(next_slot_after(schedule, week_before), gap_day);
  EXPECT_EQ(next_slot_after(schedule, gap_day), week_after);
  EXPECT_EQ(last_slot_at_or_before(schedule, gap_day - 1ms), week_before);
}

TEST(WeeklySlots, ASlotInTheAutumnOverlapComesOnceAtTheEarlierInstant) {
  const WeeklySchedule schedule{Sunday, 2h + 30min, berlin()};
  const TimePoint first = at(sys_days{2026y / October / 25}, 30min);        // 02:30 CEST
  const TimePoint second = at(sys_days{2026y / October / 25}, 1h + 30min);  // 02:30 CET again
  const TimePoint week_after = at(sys_days{2026y / November / 1}, 1h + 30min);
  EXPECT_EQ(next_slot_after(schedule, at(sys_days{2026y / October / 24}, 12h)), first);
  EXPECT_EQ(next_slot_after(schedule, first), week_after);
  EXPECT_EQ(last_slot_at_or_before(schedule, second), first);
  EXPECT_EQ(due_slot(schedule, second, first, at(sys_days{2026y / January / 1}, 0h)), std::nullopt);
}

TEST(WeeklySlots, SouthernHemisphere) {
  const WeeklySchedule schedule{Monday, 9h, zone("AEST-10AEDT,M10.1.0,M4.1.0/3")};
  // Monday April 6, 2026 09:00 AEST (DST ended the day before) and the Monday before in AEDT.
  EXPECT_EQ(next_slot_after(schedule, at(sys_days{2026y / March / 29}, 22h)),
            at(sys_days{2026y / April / 5}, 23h));
  EXPECT_EQ(last_slot_at_or_before(schedule, at(sys_days{2026y / April / 5}, 22h)),
            at(sys_days{2026y / March / 29}, 22h));
}

TEST(WeeklySlots, ScheduleValidity) {
  EXPECT_TRUE(monday_nine().ok());
  EXPECT_TRUE((WeeklySchedule{Sunday, 23h + 59min, TimeZone::utc()}.ok()));
  EXPECT_FALSE((WeeklySchedule{weekday{8}, 9h, TimeZone::utc()}.ok()));
  EXPECT_FALSE((WeeklySchedule{Monday, 24h, TimeZone::utc()}.ok()));
  EXPECT_FALSE((WeeklySchedule{Monday, -1min, TimeZone::utc()}.ok()));
}

// --- due_slot --------------------------------------------------------------------------------

class DueSlot : public ::testing::Test {
 protected:
  const WeeklySchedule schedule_ = monday_nine();
  const TimePoint previous_ = at(sys_days{2026y / March / 23}, 8h);
  const TimePoint slot_ = at(sys_days{2026y / March / 30}, 7h);
  const TimePoint active_since_ = at(sys_days{2026y / January / 1}, 0h);
};

TEST_F(DueSlot, ExactlyAtTheSlot) {
  EXPECT_EQ(due_slot(schedule_, slot_, previous_, active_since_), slot_);
}

TEST_F(DueSlot, OneMillisecondBefore) {
  EXPECT_EQ(due_slot(schedule_, slot_ - 1ms, previous_, active_since_), std::nullopt);
}

TEST_F(DueSlot, AfterAnOutageSpanningTheSlotItPostsOnRestart) {
  EXPECT_EQ(due_slot(schedule_, slot_ + 5h + 17min, previous_, active_since_), slot_);
  EXPECT_EQ(due_slot(schedule_, at(sys_days{2026y / April / 5}, 21h), previous_, active_since_),
            slot_);
}

TEST_F(DueSlot, AnOutageSpanningThreeSlotsPostsOnlyTheLatest) {
  const TimePoint latest = at(sys_days{2026y / April / 13}, 7h);
  const TimePoint now = latest + 1h;
  EXPECT_EQ(due_slot(schedule_, now, previous_, active_since_), latest);
  EXPECT_EQ(due_slot(schedule_, now + 1min, latest, active_since_), std::nullopt);
}

TEST_F(DueSlot, AlreadyPosted) {
  EXPECT_EQ(due_slot(schedule_, slot_ + 1h, slot_, active_since_), std::nullopt);
  // Storing the posting time instead of the slot works as well.
  EXPECT_EQ(due_slot(schedule_, slot_ + 1h, slot_ + 2min, active_since_), std::nullopt);
  EXPECT_EQ(due_slot(schedule_, at(sys_days{2026y / April / 6}, 7h), slot_ + 2min, active_since_),
            at(sys_days{2026y / April / 6}, 7h));
}

TEST_F(DueSlot, FreshInstallDoesNotPostLastWeeksDigest) {
  const TimePoint installed = at(sys_days{2026y / April / 1}, 10h);  // a Wednesday
  EXPECT_EQ(due_slot(schedule_, installed, std::nullopt, installed), std::nullopt);
  EXPECT_EQ(due_slot(schedule_, at(sys_days{2026y / April / 6}, 7h) - 1ms, std::nullopt, installed),
            std::nullopt);
  EXPECT_EQ(due_slot(schedule_, at(sys_days{2026y / April / 6}, 7h), std::nullopt, installed),
            at(sys_days{2026y / April / 6}, 7h));
}

TEST_F(DueSlot, NeverPostedButActiveBeforeTheSlot) {
  EXPECT_EQ(due_slot(schedule_, slot_ + 1h, std::nullopt, active_since_), slot_);
  EXPECT_EQ(due_slot(schedule_, slot_, std::nullopt, slot_), slot_);
}

// A week's digest is identified by its week (Monday to Sunday, local), not by its time of day:
// moving the time later after the week's post posts nothing more that week.
TEST_F(DueSlot, MovingTheTimeLaterAfterTheWeeksPostDoesNotPostItAgain) {
  const WeeklySchedule ten{Monday, 10h, berlin()};
  const TimePoint changed = slot_ + 30min;  // Monday 09:30, the 09:00 slot posted
  const TimePoint ten_oclock = slot_ + 1h;
  EXPECT_EQ(due_slot(ten, ten_oclock, slot_, changed), std::nullopt);
  EXPECT_EQ(due_slot(ten, ten_oclock + 3h, slot_, changed), std::nullopt);
  EXPECT_EQ(next_digest_time(ten, changed, slot_, changed), ten_oclock + days{7});
  EXPECT_EQ(next_digest_time(ten, ten_oclock, slot_, changed), ten_oclock + days{7});
  EXPECT_EQ(due_slot(ten, ten_oclock + days{7}, slot_, changed), ten_oclock + days{7});
}

// Moved earlier before the week was posted: the week's slot has passed, so it is posted at once.
TEST_F(DueSlot, MovingTheTimeEarlierBeforeTheWeeksPostPostsItAtOnce) {
  const WeeklySchedule eight{Monday, 8h, berlin()};
  const TimePoint changed = slot_ - 30min;  // Monday 08:30, the 09:00 slot not posted yet
  EXPECT_EQ(due_slot(eight, changed, previous_, changed), slot_ - 1h);
  EXPECT_EQ(next_digest_time(eight, changed, previous_, changed), changed);
  EXPECT_EQ(due_slot(eight, changed + 1min, slot_ - 1h, changed), std::nullopt);
}

// Another weekday in a week already posted waits for the next week.
TEST_F(DueSlot, AnotherWeekdayInAPostedWeekWaitsForTheNextWeek) {
  const WeeklySchedule thursday{Thursday, 9h, berlin()};
  const TimePoint changed = at(sys_days{2026y / April / 1}, 10h);  // Wednesday
  const TimePoint this_thursday = at(sys_days{2026y / April / 2}, 7h);
  EXPECT_EQ(due_slot(thursday, this_thursday + 1h, slot_, changed), std::nullopt);
  EXPECT_EQ(next_digest_time(thursday, changed, slot_, changed), this_thursday + days{7});
  EXPECT_EQ(due_slot(thursday, this_thursday + days{7}, slot_, changed), this_thursday + days{7});
}

TEST(WeeklySlots, AWeekIsItsLocalMondayWhateverTheTimeOfDay) {
  const WeeklySchedule nine = monday_nine();
  const WeeklySchedule sunday_late{Sunday, 23h + 30min, berlin()};
  // Monday 30 March 2026 09:00 CEST and Sunday 5 April 23:30 CEST are one week.
  EXPECT_EQ(slot_week(nine, at(sys_days{2026y / March / 30}, 7h)), local_days{2026y / March / 30});
  EXPECT_EQ(slot_week(sunday_late, at(sys_days{2026y / April / 5}, 21h + 30min)),
            local_days{2026y / March / 30});
  // Sunday 23:30 UTC is Monday in Berlin: the next week.
  EXPECT_EQ(slot_week(nine, at(sys_days{2026y / April / 5}, 22h + 30min)),
            local_days{2026y / April / 6});
}

TEST_F(DueSlot, InvalidScheduleIsNeverDue) {
  const WeeklySchedule invalid{weekday{9}, 9h, berlin()};
  EXPECT_EQ(due_slot(invalid, slot_, std::nullopt, active_since_), std::nullopt);
}

}  // namespace
}  // namespace reflexbot::core
