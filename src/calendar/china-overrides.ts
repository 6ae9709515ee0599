/**
 * China's holiday arrangements (放假调休) as the State Council's General Office announces them each year.
 *
 * NOTE: The statutory holidays come from the 全国年节及纪念日放假办法 (revised by State Council Order No. 795,
 * in force 1 Jan 2025), but the actual days off — and the weekend days that become working days (调休) to
 * make up for bridge days — are only fixed by a yearly notice, 国务院办公厅关于 YYYY 年部分节假日安排的通知,
 * usually published in November of the year before. They cannot be derived from a rule, so they live here as
 * data. date-holidays knows neither the bridge days nor the make-up working days.
 *
 * When a year is in this table it is the whole truth for CN that year; a missing year falls back to
 * date-holidays' statutory days (see docs/business-days.md). Add next year's row when the notice appears.
 */

export interface ChinaHoliday {
  /** English name, as shown in case timelines ("National Day"). */
  readonly name: string;
  /** Name as the notice writes it. */
  readonly nameZh: string;
  /** Every day off of this holiday, including the weekend days inside the block. */
  readonly daysOff: readonly string[];
  /** Saturdays and Sundays that are working days to make up for this holiday's bridge days. */
  readonly workingWeekendDays: readonly string[];
}

export interface ChinaYearArrangement {
  readonly year: number;
  /** Every day off in the year (YYYY-MM-DD, sorted), including weekend days inside the holiday blocks. */
  readonly daysOff: readonly string[];
  /** Saturdays and Sundays that are working days (调休 make-up days), sorted. */
  readonly workingWeekendDays: readonly string[];
  readonly holidays: readonly ChinaHoliday[];
  /** Document number of the notice, e.g. 国办发明电〔2024〕12号. */
  readonly notice: string;
  /** The notice on gov.cn. */
  readonly source: string;
  /** Date the notice was published (YYYY-MM-DD). */
  readonly published: string;
  /** True once every date was checked against the full text of the notice. */
  readonly confirmed: boolean;
}

/** Every date from `first` to `last` inclusive (YYYY-MM-DD); the notices state blocks as ranges. */
function range(first: string, last: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

function holiday(
  name: string,
  nameZh: string,
  daysOff: string[],
  workingWeekendDays: string[] = [],
): ChinaHoliday {
  return Object.freeze({
    name,
    nameZh,
    daysOff: Object.freeze(daysOff),
    workingWeekendDays: Object.freeze(workingWeekendDays),
  });
}

function arrangement(
  year: number,
  meta: { notice: string; source: string; published: string; confirmed: boolean },
  holidays: ChinaHoliday[],
): ChinaYearArrangement {
  return Object.freeze({
    year,
    daysOff: Object.freeze(holidays.flatMap((h) => h.daysOff).sort()),
    workingWeekendDays: Object.freeze(holidays.flatMap((h) => h.workingWeekendDays).sort()),
    holidays: Object.freeze(holidays),
    ...meta,
  });
}

/**
 * Keyed by the year the notice is for. Both years were checked line by line against the full text of the
 * notices as republished by Xinhua (e.g. politics.gmw.cn/2025-11/04/content_38391083.htm for 2026,
 * m.gmw.cn/2024-11/12/content_1303894933.htm for 2025); gov.cn itself was not reachable from where this
 * table was written.
 */
export const CHINA_HOLIDAY_ARRANGEMENTS: Readonly<Record<number, ChinaYearArrangement>> = Object.freeze({
  2025: arrangement(
    2025,
    {
      notice: "国办发明电〔2024〕12号",
      source: "https://www.gov.cn/zhengce/content/202411/content_6986382.htm",
      published: "2024-11-12",
      confirmed: true,
    },
    [
      // 元旦：1月1日（周三）放假1天，不调休。
      holiday("New Year's Day", "元旦", ["2025-01-01"]),
      // 春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
      holiday("Spring Festival", "春节", range("2025-01-28", "2025-02-04"), ["2025-01-26", "2025-02-08"]),
      // 清明节：4月4日（周五）至6日（周日）放假，共3天。
      holiday("Qingming Festival", "清明节", range("2025-04-04", "2025-04-06")),
      // 劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
      holiday("Labour Day", "劳动节", range("2025-05-01", "2025-05-05"), ["2025-04-27"]),
      // 端午节：5月31日（周六）至6月2日（周一）放假，共3天。
      holiday("Dragon Boat Festival", "端午节", range("2025-05-31", "2025-06-02")),
      // 国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
      holiday("National Day and Mid-Autumn Festival", "国庆节、中秋节", range("2025-10-01", "2025-10-08"), [
        "2025-09-28",
        "2025-10-11",
      ]),
    ],
  ),
  2026: arrangement(
    2026,
    {
      notice: "国办发明电〔2025〕7号",
      source: "https://www.gov.cn/zhengce/content/202511/content_7047090.htm",
      published: "2025-11-04",
      confirmed: true,
    },
    [
      // 元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
      holiday("New Year's Day", "元旦", range("2026-01-01", "2026-01-03"), ["2026-01-04"]),
      // 春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
      holiday("Spring Festival", "春节", range("2026-02-15", "2026-02-23"), ["2026-02-14", "2026-02-28"]),
      // 清明节：4月4日（周六）至6日（周一）放假，共3天。
      holiday("Qingming Festival", "清明节", range("2026-04-04", "2026-04-06")),
      // 劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
      holiday("Labour Day", "劳动节", range("2026-05-01", "2026-05-05"), ["2026-05-09"]),
      // 端午节：6月19日（周五）至21日（周日）放假，共3天。
      holiday("Dragon Boat Festival", "端午节", range("2026-06-19", "2026-06-21")),
      // 中秋节：9月25日（周五）至27日（周日）放假，共3天。
      holiday("Mid-Autumn Festival", "中秋节", range("2026-09-25", "2026-09-27")),
      // 国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
      holiday("National Day", "国庆节", range("2026-10-01", "2026-10-07"), ["2026-09-20", "2026-10-10"]),
    ],
  ),
});
