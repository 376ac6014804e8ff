//! The CMOS real-time clock's registers and calendar arithmetic.

use abi::{Errno, KernelResult};

/// A civil date and time in UTC, as the RTC keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// Full year, e.g. 2026.
    pub year: i32,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
}

impl DateTime {
    /// Seconds since 1970-01-01 00:00:00 UTC; `EINVAL` for an impossible
    /// date (month 13, February 30, hour 24, ...).
    pub fn to_unix_seconds(self) -> KernelResult<i64> {
        date_to_unix_seconds(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        )
    }
}

/// The raw RTC registers, as read from CMOS ports 0x70/0x71.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcRegisters {
    /// Register 0x00.
    pub seconds: u8,
    /// Register 0x02.
    pub minutes: u8,
    /// Register 0x04; bit 7 means PM in 12-hour mode.
    pub hours: u8,
    /// Register 0x07.
    pub day: u8,
    /// Register 0x08.
    pub month: u8,
    /// Register 0x09: the year within the century.
    pub year: u8,
    /// The century register, if the ACPI FADT names one (usually 0x32).
    pub century: Option<u8>,
    /// Register 0x0B: bit 1 set means 24-hour mode, bit 2 set means binary
    /// rather than BCD.
    pub status_b: u8,
}

impl RtcRegisters {
    /// CMOS register numbers of the fields above.
    pub const REG_SECONDS: u8 = 0x00;
    /// Minutes register.
    pub const REG_MINUTES: u8 = 0x02;
    /// Hours register.
    pub const REG_HOURS: u8 = 0x04;
    /// Day-of-month register.
    pub const REG_DAY: u8 = 0x07;
    /// Month register.
    pub const REG_MONTH: u8 = 0x08;
    /// Year register.
    pub const REG_YEAR: u8 = 0x09;
    /// Status register A: bit 7 is "update in progress"; read the time only
    /// while it is clear, and twice until two reads agree.
    pub const REG_STATUS_A: u8 = 0x0a;
    /// Status register B (format flags).
    pub const REG_STATUS_B: u8 = 0x0b;
    /// The update-in-progress bit of status register A.
    pub const STATUS_A_UPDATING: u8 = 0x80;
    const STATUS_B_24_HOUR: u8 = 0x02;
    const STATUS_B_BINARY: u8 = 0x04;
    const HOUR_PM: u8 = 0x80;

    /// The date and time the registers hold, honouring the BCD/binary and
    /// 12/24-hour formats. Without a century register, years 70..=99 are
    /// taken as 19xx and 00..=69 as 20xx. `EINVAL` for values no clock
    /// could show (bad BCD, month 0, ...).
    pub fn decode(&self) -> KernelResult<DateTime> {
        let binary = self.status_b & Self::STATUS_B_BINARY != 0;
        let field = |raw: u8| if binary { Ok(raw) } else { bcd_to_binary(raw) };
        let pm = self.hours & Self::HOUR_PM != 0;
        let mut hour = field(self.hours & !Self::HOUR_PM)?;
        if self.status_b & Self::STATUS_B_24_HOUR == 0 {
            if !(1..=12).contains(&hour) {
                return Err(Errno::EINVAL);
            }
            // 12 AM is midnight, 12 PM is noon.
            hour = (hour % 12) + if pm { 12 } else { 0 };
        }
        let year_in_century = i32::from(field(self.year)?);
        let year = match self.century {
            Some(c) => i32::from(field(c)?) * 100 + year_in_century,
            None if year_in_century >= 70 => 1900 + year_in_century,
            None => 2000 + year_in_century,
        };
        let date = DateTime {
            year,
            month: field(self.month)?,
            day: field(self.day)?,
            hour,
            minute: field(self.minutes)?,
            second: field(self.seconds)?,
        };
        date.to_unix_seconds()?;
        Ok(date)
    }
}

/// The value of a BCD byte (`0x59` is 59); `EINVAL` if a nibble is above 9.
pub fn bcd_to_binary(bcd: u8) -> KernelResult<u8> {
    let (high, low) = (bcd >> 4, bcd & 0x0f);
    if high > 9 || low > 9 {
        return Err(Errno::EINVAL);
    }
    Ok(high * 10 + low)
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's `days_from_civil`: years counted from March, so the leap day
/// falls at the end of the 400-year era's arithmetic).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Seconds since the Unix epoch of a UTC date and time; `EINVAL` unless
/// `month` is 1..=12, `day` exists in that month, `hour < 24`,
/// `minute < 60`, `second < 60`.
pub fn date_to_unix_seconds(
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> KernelResult<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(Errno::EINVAL);
    }
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second))
}

/// The UTC date and time `seconds` after the Unix epoch (the inverse of
/// [`date_to_unix_seconds`]), for writing the RTC back or for logs.
/// `EINVAL` if the year does not fit an `i32`.
pub fn unix_seconds_to_date(seconds: i64) -> KernelResult<DateTime> {
    let days = seconds.div_euclid(86_400);
    let secs_of_day = seconds.rem_euclid(86_400);
    // Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Ok(DateTime {
        year: i32::try_from(year).map_err(|_| Errno::EINVAL)?,
        month: month as u8,
        day: day as u8,
        hour: (secs_of_day / 3_600) as u8,
        minute: (secs_of_day % 3_600 / 60) as u8,
        second: (secs_of_day % 60) as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unix_time_of_known_dates() {
        assert_eq!(date_to_unix_seconds(1970, 1, 1, 0, 0, 0), Ok(0));
        assert_eq!(date_to_unix_seconds(2000, 1, 1, 0, 0, 0), Ok(946_684_800));
        // 2000 is a leap year (divisible by 400): Feb 29 exists.
        assert_eq!(date_to_unix_seconds(2000, 2, 29, 12, 0, 0), Ok(951_825_600));
        assert_eq!(date_to_unix_seconds(2000, 3, 1, 0, 0, 0), Ok(951_868_800));
        // The 32-bit time_t limit.
        assert_eq!(
            date_to_unix_seconds(2038, 1, 19, 3, 14, 7),
            Ok(2_147_483_647)
        );
        assert_eq!(
            date_to_unix_seconds(2024, 2, 29, 0, 0, 0),
            Ok(1_709_164_800)
        );
        assert_eq!(
            date_to_unix_seconds(2026, 11, 27, 10, 30, 0),
            Ok(1_795_775_400)
        );
        assert_eq!(date_to_unix_seconds(1969, 12, 31, 23, 59, 59), Ok(-1));
    }

    #[test]
    fn impossible_dates_are_einval() {
        // 1900 and 2100 are not leap years (divisible by 100, not 400).
        assert_eq!(
            date_to_unix_seconds(1900, 2, 29, 0, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2100, 2, 29, 0, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2023, 2, 29, 0, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2024, 4, 31, 0, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2024, 13, 1, 0, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2024, 1, 0, 0, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2024, 1, 1, 24, 0, 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            date_to_unix_seconds(2024, 1, 1, 0, 60, 0),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn bcd_decodes_and_rejects_bad_nibbles() {
        assert_eq!(bcd_to_binary(0x59), Ok(59));
        assert_eq!(bcd_to_binary(0x00), Ok(0));
        assert_eq!(bcd_to_binary(0x99), Ok(99));
        assert_eq!(bcd_to_binary(0x5a), Err(Errno::EINVAL));
        assert_eq!(bcd_to_binary(0xa0), Err(Errno::EINVAL));
    }

    fn qemu_default(hours: u8) -> RtcRegisters {
        RtcRegisters {
            seconds: 0x07,
            minutes: 0x14,
            hours,
            day: 0x19,
            month: 0x01,
            year: 0x38,
            century: Some(0x20),
            status_b: 0x02, // BCD, 24-hour
        }
    }

    #[test]
    fn rtc_bcd_24_hour_reading() {
        let date = qemu_default(0x03).decode().unwrap();
        assert_eq!(date.to_unix_seconds(), Ok(2_147_483_647));
    }

    #[test]
    fn rtc_12_hour_mode_maps_midnight_and_noon() {
        let mut regs = qemu_default(0x12); // 12 AM
        regs.status_b = 0;
        assert_eq!(regs.decode().unwrap().hour, 0);
        regs.hours = 0x80 | 0x12; // 12 PM
        assert_eq!(regs.decode().unwrap().hour, 12);
        regs.hours = 0x80 | 0x03; // 3 PM
        assert_eq!(regs.decode().unwrap().hour, 15);
        regs.hours = 0x00;
        assert_eq!(regs.decode(), Err(Errno::EINVAL), "hour 0 in 12-hour mode");
    }

    #[test]
    fn rtc_binary_mode_without_century() {
        let regs = RtcRegisters {
            seconds: 0,
            minutes: 30,
            hours: 10,
            day: 27,
            month: 11,
            year: 26,
            century: None,
            status_b: 0x06,
        };
        let date = regs.decode().unwrap();
        assert_eq!(date.year, 2026);
        assert_eq!(date.to_unix_seconds(), Ok(1_795_775_400));
        let old = RtcRegisters { year: 99, ..regs };
        assert_eq!(old.decode().unwrap().year, 1999);
        let bad = RtcRegisters { month: 0, ..regs };
        assert_eq!(bad.decode(), Err(Errno::EINVAL));
    }

    proptest! {
        #[test]
        fn date_round_trips_through_unix_seconds(secs in -62_135_596_800i64..253_402_300_799) {
            let date = unix_seconds_to_date(secs).unwrap();
            prop_assert_eq!(date.to_unix_seconds(), Ok(secs));
        }
    }
}
