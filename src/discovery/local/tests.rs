//! Table tests of the whole reading, by category, in several languages.

use super::*;
use crate::catalog::{GIB, MIB};

fn read(text: &str) -> Reading {
    LocalExtractor::global().read(text)
}

fn codes(text: &str) -> Vec<String> {
    read(text)
        .query
        .countries
        .iter()
        .map(|code| code.to_string())
        .collect()
}

/// Asserts each text reads as exactly the listed countries.
fn assert_countries(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (text, expected) in cases {
        let got = codes(text).join(",");
        if got != *expected {
            failures.push(format!("{text:?}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_data_files_have_no_mistakes() {
    let problems = &LocalExtractor::global().gazetteer.problems;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_gazetteer_holds_at_least_500_places() {
    let places = gazetteer::places_count();
    assert!(places >= 500, "{places} places");
}

#[test]
fn country_names_are_read_in_many_languages() {
    assert_countries(&[
        ("I need an esim for Japan", "JP"),
        ("quiero un esim para Japón", "JP"),
        ("vou para o Japão", "JP"),
        ("je pars au Japon", "JP"),
        ("ich fliege nach Deutschland", "DE"),
        ("vado in Germania", "DE"),
        ("viaje a Alemania y Francia", "DE,FR"),
        ("Voyage en Espagne et au Portugal", "ES,PT"),
        ("Reise nach Österreich und in die Schweiz", "AT,CH"),
        ("日本に行きます", "JP"),
        ("我要去泰国", "TH"),
        ("한국 여행", "KR"),
        ("タイに行きたい", "TH"),
        ("поездка в Россия", "RU"),
        ("ταξίδι στην Ελλάδα", "GR"),
        ("esim Vietnam", "VN"),
        ("Viet Nam and Laos", "LA,VN"),
        ("going to Iran", "IR"),
        ("Czech Republic and Slovakia", "CZ,SK"),
        ("trip to the Netherlands", "NL"),
        ("Bosnia and Herzegovina", "BA"),
        ("Trinidad & Tobago", "TT"),
        ("St. Lucia", "LC"),
        ("COTE D'IVOIRE", "CI"),
        ("🇯🇵 🇰🇷", "JP,KR"),
        ("Japan+Korea", "JP,KR"),
        ("japan/korea/taiwan", "JP,KR,TW"),
    ]);
}

#[test]
fn travel_aliases_name_the_right_country() {
    assert_countries(&[
        ("UK", "GB"),
        ("going to Britain", "GB"),
        ("Scotland and Wales", "GB"),
        ("Northern Ireland", "GB"),
        ("visiting the States", "US"),
        ("trip to the USA", "US"),
        ("traveling to the U.S.", "US"),
        ("a trip to the US", "US"),
        ("viaje a Estados Unidos", "US"),
        ("voy a EEUU", "US"),
        ("vou para os EUA", "US"),
        ("voyage aux États-Unis", "US"),
        ("Reise in die Vereinigten Staaten", "US"),
        ("Vereinigte Staaten", "US"),
        ("Stati Uniti", "US"),
        ("Holland", "NL"),
        ("UAE", "AE"),
        ("KSA", "SA"),
        ("Burma", "MM"),
        ("Ivory Coast", "CI"),
        ("Czechia", "CZ"),
        ("Türkiye", "TR"),
        ("Turquía", "TR"),
        ("Türkei", "TR"),
        ("South Korea", "KR"),
        ("Korea", "KR"),
        ("Corée du Sud", "KR"),
        ("Südkorea", "KR"),
        ("North Korea", "KP"),
        ("Russia", "RU"),
        ("Macao", "MO"),
        ("Macau", "MO"),
        ("Cape Verde", "CV"),
        ("Swaziland", "SZ"),
        ("East Timor", "TL"),
        ("the Vatican", "VA"),
        ("Bosnia", "BA"),
        ("Hong Kong", "HK"),
        ("hongkong", "HK"),
        ("newzealand", "NZ"),
    ]);
}

#[test]
fn places_inside_countries_name_their_country() {
    assert_countries(&[
        ("Tokyo and Kyoto", "JP"),
        ("東京", "JP"),
        ("서울", "KR"),
        ("Bali for 2 weeks", "ID"),
        ("Cancún", "MX"),
        ("Phuket, Bangkok and Chiang Mai", "TH"),
        ("Zanzibar", "TZ"),
        ("Santorini and Mykonos", "GR"),
        ("Tuscany", "IT"),
        ("Toscana e Sicilia", "IT"),
        ("Machu Picchu", "PE"),
        ("Galápagos", "EC"),
        ("Marrakech", "MA"),
        ("Dubai and Abu Dhabi", "AE"),
        ("Cappadocia", "TR"),
        ("Bora Bora", "PF"),
        ("Hawaii", "US"),
        ("Puerto Rico", "PR"),
        ("Tenerife", "ES"),
        ("Madeira and the Azores", "PT"),
        ("Reykjavik", "IS"),
        ("Banff", "CA"),
        ("Queenstown", "NZ"),
        ("Ha Long Bay", "VN"),
        ("Angkor Wat", "KH"),
        ("Jeju", "KR"),
        ("New York", "US"),
        ("Lisboa e Porto", "PT"),
        ("München", "DE"),
        ("Praha", "CZ"),
        ("Mexico City", "MX"),
        ("CDMX", "MX"),
        ("Patagonia", "AR,CL"),
        ("Lake Titicaca", "BO,PE"),
        ("Niagara Falls", "CA,US"),
        ("Cape Town", "ZA"),
        ("Sharm el-Sheikh", "EG"),
        ("Sharm el Sheikh", "EG"),
        ("Kilimanjaro", "TZ"),
        ("New South Wales", "AU"),
        ("New Jersey", "US"),
        ("New Mexico", "US"),
    ]);
}

#[test]
fn the_longest_name_wins_over_its_parts() {
    assert_countries(&[
        ("Niger", "NE"),
        ("Nigeria", "NG"),
        ("Dominica", "DM"),
        ("Dominican Republic", "DO"),
        ("República Dominicana", "DO"),
        ("Guinea", "GN"),
        ("Equatorial Guinea", "GQ"),
        ("Guinea-Bissau", "GW"),
        ("Papua New Guinea", "PG"),
        ("Sudan", "SD"),
        ("South Sudan", "SS"),
        ("South Africa", "ZA"),
        ("Democratic Republic of the Congo", "CD"),
    ]);
}

#[test]
fn ambiguous_names_follow_the_other_places_of_the_message() {
    let cases = [
        ("Atlanta, Georgia", "US", true),
        ("Savannah Georgia", "US", true),
        ("Tbilisi, Georgia", "GE", true),
        ("Georgia and Armenia", "AM,GE", true),
        ("Georgia the country", "GE", true),
        ("Georgia", "GE", false),
        ("Congo", "CG", false),
    ];
    for (text, expected, confident) in cases {
        let reading = read(text);
        let got: Vec<String> = reading
            .query
            .countries
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(got.join(","), expected, "{text:?}");
        assert_eq!(reading.confident, confident, "{text:?}");
    }
}

#[test]
fn names_that_are_also_first_names_need_a_travel_context() {
    assert_countries(&[
        ("trip to Chad", "TD"),
        ("visiting Jordan next month", "JO"),
        ("viaje a Jordania", "JO"),
        ("Jordan and Egypt", "EG,JO"),
        ("Jordan", "JO"),
        ("Jordan esim", "JO"),
        ("chad says hello", ""),
        ("tell Jordan I said hi", ""),
        ("Turkey", "TR"),
        ("10 days in Turkey", "TR"),
        ("a weekend in Nice", "FR"),
        ("nice, thanks", ""),
        ("Split and Dubrovnik", "HR"),
        ("can I split the data", ""),
        ("let's go to the US", "US"),
        ("can you help us", ""),
    ]);
}

#[test]
fn homes_exclusions_and_namesakes_are_not_destinations() {
    assert_countries(&[
        ("I'm based in Germany and travelling to Japan", "JP"),
        ("flying from Madrid to Tokyo", "JP"),
        ("Spain but not Portugal", "ES"),
        (
            "all of Europe except France",
            "AT,BE,BG,CH,CY,CZ,DE,DK,EE,ES,FI,GB,GR,HR,HU,IE,IS,IT,LI,LT,LU,LV,MT,NL,NO,PL,PT,RO,SE,SI,SK",
        ),
        ("Cambridge, Massachusetts", "US"),
        ("Perth, Scotland", "GB"),
        ("Valencia, Venezuela", "VE"),
        ("from Brazil", "BR"),
    ]);
}

#[test]
fn misspelt_names_are_recognised() {
    assert_countries(&[
        ("japn", "JP"),
        ("trip to Indonesa", "ID"),
        ("Germnay", "DE"),
        ("Thailnd", "TH"),
        ("Austrailia", "AU"),
        ("Itlay", "IT"),
        ("Swizerland", "CH"),
        ("new zeland", "NZ"),
        ("Columbia", "CO"),
        ("Phillipines", "PH"),
        ("Santorinni", "GR"),
    ]);
}

#[test]
fn ordinary_sentences_name_no_place() {
    let sentences = [
        "hi",
        "hello",
        "what is an esim",
        "I want to turn on roaming",
        "queria saber como ativar o chip virtual",
        "mi serve una esim",
        "we walked to the lake & the old bridge",
        "chad says hello",
        "send me the plan",
        "my mail",
        "how much per day",
        "the woman at the desk",
        "can I pay with card",
        "thanks a lot",
        "is it prepaid?",
        "how do I install it on my iPhone",
        "my phone is not compatible",
        "what is the price",
        "can I share data with my wife",
        "I ran out of data",
        "it is a span of time",
        "I need a refund",
        "while I wait",
        "is there a discount for children",
        "send the QR code to my email",
        "my daughter is called Georgia",
        "the indian food was great",
        "I love chinese food",
        "do you sell physical sim cards",
        "ok perfect",
        "yes please",
        "no thanks",
        "good morning",
        "hola, ¿cómo funciona?",
        "bonjour, comment ça marche",
        "guten Tag, wie funktioniert das",
        "ciao, come funziona",
        "obrigado pela ajuda",
        "my turkey sandwich is cold",
        "I have a guinea pig",
        "per person please",
        "man, that was fast",
        "the signal is weak",
        "does it support 5G and hotspot",
        "I bought it yesterday",
        "sales tax included?",
        "it keeps saying no service",
        "can you help us",
    ];
    let mut failures = Vec::new();
    for text in sentences {
        let query = read(text).query;
        if query.has_destination() {
            failures.push(format!("{text:?} read as {:?}", query.understood));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn named_regions_expand_to_their_members() {
    let cases = [
        ("Europe", "Europe"),
        ("trip across europa", "Europe"),
        ("Southeast Asia for a month", "Southeast Asia"),
        ("sudeste asiático", "Southeast Asia"),
        ("the Balkans", "Balkans"),
        ("Skandinavien", "Scandinavia"),
        ("Caribbean cruise", "Caribbean"),
    ];
    for (text, region) in cases {
        let query = read(text).query;
        assert_eq!(query.regions, [region], "{text:?}");
        assert!(query.countries.len() > 2, "{text:?}");
    }
}

#[test]
fn worldwide_trips_set_the_global_flag() {
    for text in [
        "worldwide",
        "trip around the world",
        "world trip next year",
        "la vuelta al mundo",
        "volta ao mundo",
        "mon tour du monde",
        "Weltreise",
        "il giro del mondo",
        "a global esim",
        "many countries",
    ] {
        assert!(read(text).query.global, "{text:?}");
    }
}

#[test]
fn trip_lengths_are_read_in_days() {
    let cases = [
        ("10 days in Japan", 10),
        ("Japan 10d", 10),
        ("2 weeks", 14),
        ("a week in Rome", 7),
        ("one week", 7),
        ("a month in Bali", 30),
        ("3 nights in Paris", 4),
        ("weekend in Paris", 2),
        ("a long weekend in Rome", 3),
        ("a fortnight in Spain", 14),
        ("from 3 to 17 March", 15),
        ("March 3-17", 15),
        ("3–17 mars", 15),
        ("del 3 al 17 de marzo", 15),
        ("vom 3. bis 17. März", 15),
        ("from March 28 to April 5", 9),
        ("15 días en México", 15),
        ("duas semanas no Brasil", 14),
        ("un mois en France", 30),
        ("drei Wochen in Italien", 21),
        ("una settimana in Grecia", 7),
        ("10 giorni", 10),
        ("10日間", 10),
        ("日本に3泊4日", 4),
        ("10일", 10),
        ("10-14 days", 14),
        ("a week in Japan and 5 days in Korea", 12),
        ("5 nights 6 days", 6),
    ];
    let mut failures = Vec::new();
    for (text, days) in cases {
        let got = read(text).query.days;
        if got != Some(days) {
            failures.push(format!("{text:?}: expected {days}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Asserts each text reads as the listed trip length in days.
fn assert_days(cases: &[(&str, Option<u32>)]) {
    let mut failures = Vec::new();
    for (text, days) in cases {
        let got = read(text).query.days;
        if got != *days {
            failures.push(format!("{text:?}: expected {days:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Asserts each text reads as the listed countries and trip length together.
fn assert_trips(cases: &[(&str, &str, Option<u32>)]) {
    let mut failures = Vec::new();
    for (text, countries, days) in cases {
        let query = read(text).query;
        let got: Vec<String> = query.countries.iter().map(|c| c.to_string()).collect();
        if got.join(",") != *countries || query.days != *days {
            failures.push(format!(
                "{text:?}: expected {countries:?} for {days:?} days, got {:?} for {:?}",
                got.join(","),
                query.days
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn chinese_trip_lengths_are_read_from_numerals_and_digits() {
    assert_days(&[
        ("三天", Some(3)),
        ("五天", Some(5)),
        ("一周", Some(7)),
        ("一週", Some(7)),
        ("两周", Some(14)),
        ("兩週", Some(14)),
        ("一个月", Some(30)),
        ("一個月", Some(30)),
        ("10天", Some(10)),
        ("十天", Some(10)),
        ("十五天", Some(15)),
        ("二十天", Some(20)),
        ("两个星期", Some(14)),
        ("一个礼拜", Some(7)),
        ("三个月", Some(90)),
        ("一个半月", Some(45)),
        ("半个月", Some(15)),
        ("两三天", Some(3)),
        ("3-5天", Some(5)),
        ("这个周末", Some(2)),
        ("3晚", Some(4)),
    ]);
}

#[test]
fn chinese_lengths_glued_to_place_names_are_read_with_the_places() {
    assert_trips(&[
        ("我要去泰国玩一周", "TH", Some(7)),
        ("香港和澳门三天", "HK,MO", Some(3)),
        ("去台灣玩五天", "TW", Some(5)),
        ("去日本十天", "JP", Some(10)),
        ("我想去日本东京和大阪玩两周", "JP", Some(14)),
        ("泰国10天", "TH", Some(10)),
        ("日本一周，韩国五天", "JP,KR", Some(12)),
        ("泰国10天和越南5天", "TH,VN", Some(15)),
        ("香港三天澳门两天", "HK,MO", Some(5)),
        ("去三亚三天", "CN", Some(3)),
    ]);
}

#[test]
fn han_dates_ordinals_and_rates_are_not_trip_lengths() {
    assert_days(&[
        ("三月去日本", None),
        ("3月去日本", None),
        ("3月5日去日本", None),
        ("三月五日去日本", None),
        ("第三天去香港", None),
        ("星期一去香港", None),
        ("一天多少钱", None),
        ("日本", None),
        ("周年纪念去日本", None),
        ("2日目に京都", None),
    ]);
}

#[test]
fn japanese_trip_lengths_are_read() {
    assert_days(&[
        ("一週間", Some(7)),
        ("二週間", Some(14)),
        ("1週間", Some(7)),
        ("1ヶ月", Some(30)),
        ("一ヶ月", Some(30)),
        ("1か月", Some(30)),
        ("一カ月", Some(30)),
        ("1ヶ月半", Some(45)),
        ("3日間", Some(3)),
        ("三日間", Some(3)),
        ("10日", Some(10)),
        ("二泊三日", Some(3)),
        ("2泊", Some(3)),
        ("週末", Some(2)),
    ]);
    assert_trips(&[
        ("日本に一週間", "JP", Some(7)),
        ("タイに二週間行きます", "TH", Some(14)),
        ("韓国一ヶ月", "KR", Some(30)),
        ("タイ・ベトナム10日間", "TH,VN", Some(10)),
    ]);
}

#[test]
fn korean_trip_lengths_are_read_in_both_counting_systems() {
    assert_days(&[
        ("일주일", Some(7)),
        ("이주일", Some(14)),
        ("2주", Some(14)),
        ("한달", Some(30)),
        ("한 달", Some(30)),
        ("두 달", Some(60)),
        ("삼개월", Some(90)),
        ("3일", Some(3)),
        ("5박", Some(6)),
        ("3박 4일", Some(4)),
        ("이틀", Some(2)),
        ("보름", Some(15)),
        ("일주일동안", Some(7)),
        ("한달간", Some(30)),
    ]);
    assert_trips(&[
        ("태국 일주일", "TH", Some(7)),
        ("일본 한달 여행", "JP", Some(30)),
        ("베트남 이주일", "VN", Some(14)),
        ("일본 5박", "JP", Some(6)),
    ]);
}

#[test]
fn korean_words_that_only_look_like_lengths_are_not_read() {
    assert_days(&[
        ("한국 여행", None),
        ("5달러", None),
        ("3월 5일", None),
        ("일본 이주", None),
        ("세계일주", None),
        ("두바이", None),
        ("일주일에 1기가", None),
        ("한달에 10기가", None),
        ("3일에 출발", None),
    ]);
}

#[test]
fn thai_trip_lengths_are_read_without_spaces() {
    assert_days(&[
        ("5 วัน", Some(5)),
        ("ไทย5วัน", Some(5)),
        ("2 สัปดาห์", Some(14)),
        ("1 เดือน", Some(30)),
        ("1 อาทิตย์", Some(7)),
        ("สองสัปดาห์", Some(14)),
        ("สิบห้าวัน", Some(15)),
        ("๕ วัน", Some(5)),
        ("3 คืน", Some(4)),
        ("สุดสัปดาห์", Some(2)),
        ("วันอาทิตย์", None),
    ]);
    assert_trips(&[
        ("ประเทศไทย 5 วัน", "TH", Some(5)),
        ("ไปญี่ปุ่นสองสัปดาห์", "JP", Some(14)),
        ("ญี่ปุ่น 1 เดือน", "JP", Some(30)),
    ]);
}

#[test]
fn greek_trip_lengths_are_read_with_or_without_accents() {
    assert_days(&[
        ("Ελλάδα 5 μέρες", Some(5)),
        ("Ελλάδα 5 μερες", Some(5)),
        ("ΕΛΛΑΔΑ 5 ΜΕΡΕΣ", Some(5)),
        ("3 μέρα", Some(3)),
        ("10 ημέρες", Some(10)),
        ("μία εβδομάδα", Some(7)),
        ("δύο εβδομάδες", Some(14)),
        ("1 μήνα", Some(30)),
        ("1 μήνας", Some(30)),
        ("τρεις μήνες", Some(90)),
        ("δέκα ἡμέρες", Some(10)),
        ("4 νύχτες", Some(5)),
    ]);
}

#[test]
fn russian_hebrew_and_arabic_lone_units_are_one_unit() {
    assert_trips(&[
        (
            "Европа месяц",
            "AT,BE,BG,CH,CY,CZ,DE,DK,EE,ES,FI,FR,GB,GR,HR,HU,IE,IS,IT,LI,LT,LU,LV,MT,NL,NO,PL,PT,RO,SE,SI,SK",
            Some(30),
        ),
        ("Турция неделя", "TR", Some(7)),
        ("Турция неделю", "TR", Some(7)),
        ("יוון שבוע", "GR", Some(7)),
        ("יוון שבועיים", "GR", Some(14)),
        ("יוון חודש", "GR", Some(30)),
        ("יוון 5 ימים", "GR", Some(5)),
        ("اليونان أسبوع", "GR", Some(7)),
        ("تركيا شهر", "TR", Some(30)),
        ("تركيا أسبوعين", "TR", Some(14)),
        ("تركيا 5 أيام", "TR", Some(5)),
        ("אני טס לתאילנד לשבועיים", "TH", Some(14)),
        ("سأسافر إلى الإمارات لمدة أسبوعين", "AE", Some(14)),
    ]);
    assert_days(&[
        ("две недели", Some(14)),
        ("три недели", Some(21)),
        ("на месяц", Some(30)),
        ("שלושה שבועות", Some(21)),
        ("ثلاثة أسابيع", Some(21)),
    ]);
}

#[test]
fn lone_units_that_are_rates_dates_or_honeymoons_are_not_lengths() {
    assert_days(&[
        ("10 ГБ в месяц", None),
        ("через неделю в Турцию", None),
        ("медовый месяц", None),
        ("שבוע הבא", None),
        ("ירח דבש", None),
        ("חודש דבש", None),
        ("شهر العسل في تركيا", None),
        ("في شهر مارس", None),
        ("كل شهر", None),
    ]);
}

#[test]
fn arabic_and_hebrew_names_are_read_through_their_prefixes() {
    assert_countries(&[
        ("الإمارات", "AE"),
        ("الامارات", "AE"),
        ("اليونان", "GR"),
        ("اليابان", "JP"),
        ("لليابان", "JP"),
        ("باليابان", "JP"),
        ("واليونان", "GR"),
        ("السفر إلى تركيا", "TR"),
        ("لتركيا", "TR"),
        ("مصر والأردن", "EG,JO"),
        ("دبي", "AE"),
        ("לתאילנד", "TH"),
        ("ביוון", "GR"),
        ("יפן ותאילנד", "JP,TH"),
        ("טיסה מישראל", ""),
        ("من مصر إلى تركيا", "TR"),
    ]);
}

#[test]
fn salvador_is_the_brazilian_city_unless_the_country_is_meant() {
    let cases = [
        ("Salvador da Bahia", "BR", true),
        ("Salvador, Bahia", "BR", true),
        ("Salvador de Bahia", "BR", true),
        ("Salvador e Rio de Janeiro", "BR", true),
        ("El Salvador", "SV", true),
        ("trip to El Salvador", "SV", true),
        ("San Salvador", "SV", true),
        ("Salvador and Guatemala", "GT,SV", true),
        ("Salvador", "BR", false),
    ];
    for (text, expected, confident) in cases {
        let reading = read(text);
        let got: Vec<String> = reading
            .query
            .countries
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(got.join(","), expected, "{text:?}");
        assert_eq!(reading.confident, confident, "{text:?}");
    }
}

#[test]
fn an_ambiguous_name_takes_the_reading_nearest_the_other_places() {
    assert_countries(&[
        ("Granada and Costa Rica", "CR,NI"),
        ("Valencia and Colombia", "CO,VE"),
        ("Valencia and Madrid", "ES"),
        ("Georgia and Armenia", "AM,GE"),
    ]);
}

#[test]
fn names_typed_with_a_doubled_letter_are_recognised() {
    assert_countries(&[
        ("Dubaii", "AE"),
        ("Balii", "ID"),
        ("Japann", "JP"),
        ("trip to Itally", "IT"),
        ("Thailandd for 10 days", "TH"),
    ]);
}

#[test]
fn place_names_glued_to_other_unspaced_words_are_found() {
    assert_countries(&[
        ("我想去日本东京和大阪", "JP"),
        ("去泰国和越南", "TH,VN"),
        ("タイ・ベトナム", "TH,VN"),
        ("ベトナム旅行", "VN"),
        ("ไปญี่ปุ่นและเกาหลี", "JP,KR"),
        ("일본여행", "JP"),
    ]);
}

#[test]
fn glued_amounts_echo_only_their_own_characters() {
    let query = read("我要去泰国玩一周").query;
    let pairs: Vec<(&str, &str)> = query
        .understood
        .iter()
        .map(|u| (u.text.as_str(), u.meaning.as_str()))
        .collect();
    assert_eq!(pairs, [("泰国", "TH"), ("一周", "7 days")]);

    let query = read("10天香港三天").query;
    let texts: Vec<&str> = query.understood.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(texts, ["10天", "香港", "三天"]);

    let query = read("태국 한 달").query;
    let last = query.understood.last().map(|u| u.text.as_str());
    assert_eq!(last, Some("한 달"));
}

#[test]
fn data_needs_are_read_in_bytes() {
    let cases = [
        ("5GB", Some(5 * GIB), false),
        ("5 GB for Japan", Some(5 * GIB), false),
        ("500 MB", Some(500 * MIB), false),
        ("1.5 GB", Some(3 * GIB / 2), false),
        ("1,5 Go", Some(3 * GIB / 2), false),
        ("20 gigas", Some(20 * GIB), false),
        ("1GB per day for 10 days", Some(10 * GIB), false),
        ("unlimited data", None, true),
        ("datos ilimitados", None, true),
        ("données illimitées", None, true),
        ("unbegrenzt", None, true),
        ("dati illimitati", None, true),
        ("無制限", None, true),
        ("5G coverage", None, false),
    ];
    for (text, bytes, unlimited) in cases {
        let query = read(text).query;
        assert_eq!(query.data_bytes, bytes, "{text:?}");
        assert_eq!(query.unlimited, unlimited, "{text:?}");
    }
}

#[test]
fn understood_lists_each_span_and_its_meaning() {
    let query = read("Bali and Tokyo for 2 weeks, 10GB").query;
    let pairs: Vec<(&str, &str)> = query
        .understood
        .iter()
        .map(|u| (u.text.as_str(), u.meaning.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("Bali", "ID"),
            ("Tokyo", "JP"),
            ("2 weeks", "14 days"),
            ("10GB", "10 GB")
        ]
    );
    assert_eq!(query.source, Source::Local);
}

#[test]
fn confidence_drops_when_a_place_cannot_be_placed() {
    let cases = [
        ("10 days in Japan", true),
        ("hi", true),
        ("what is an esim", true),
        ("I'm travelling to Xanadoria next week", false),
        ("trip to zubrowka", false),
        ("backpacking Asia", true),
        ("I need an esim for my trip", false),
        ("Georgia", false),
        ("Japan and Korea", true),
    ];
    for (text, confident) in cases {
        assert_eq!(read(text).confident, confident, "{text:?}");
    }
}

#[test]
fn any_input_is_read_without_panicking() {
    let long = "I am going to Japan and Korea for two weeks. ".repeat(250);
    let inputs = [
        String::new(),
        " ".to_owned(),
        long.clone(),
        "😀🎉🇯🇵🏖️✈️".to_owned(),
        "\u{0}\u{1}\u{7f}\t\r\n".to_owned(),
        "🇦".to_owned(),
        "\u{301}\u{200d}".to_owned(),
        "9".repeat(400) + " GB",
        "from 99 to 3 March, 31 February - 2 March".to_owned(),
        "ＪＡＰＡＮ　１０日間".to_owned(),
        "ß".repeat(3000),
    ];
    for input in &inputs {
        let _ = read(input);
    }
    assert!(read(&long).query.countries.len() == 2);
    assert!(read("🇯🇵").query.countries.len() == 1);
}

/// Prints the median latency over the fixtures' sentences; run with
/// `cargo test --release --lib discovery::local -- --ignored --nocapture`.
#[test]
#[ignore]
fn median_latency_is_within_budget() {
    let extractor = LocalExtractor::global();
    let texts = [
        "Hi, I'm going to Japan and Korea for 2 weeks, need about 10GB",
        "quiero un esim para España y Portugal, 15 días",
        "Bali for a month with unlimited data please",
        "what is an esim and how do I install it",
        "trip to Thailnd and Vietnam in March, from 3 to 17",
        "Reise nach Deutschland, Österreich und in die Schweiz, drei Wochen",
        "東京と大阪に10日間",
        "Atlanta, Georgia for a weekend",
        "I want to turn on roaming on my phone",
        "vou para o Brasil e Argentina por duas semanas com 20 gigas",
    ];
    let rounds = 2_000;
    let mut samples = Vec::with_capacity(rounds * texts.len());
    for _ in 0..rounds {
        for text in texts {
            let started = std::time::Instant::now();
            std::hint::black_box(extractor.read(std::hint::black_box(text)));
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!(
        "local extractor: median {median:?}, p99 {p99:?} over {} reads",
        samples.len()
    );
}

/// Scores the reader on the labelled set; run once the reader is complete with
/// `cargo test --release --lib discovery::local -- --ignored --nocapture`.
#[test]
#[ignore]
fn evaluation_set_accuracy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/discovery/eval.tsv");
    let Ok(text) = std::fs::read_to_string(path) else {
        println!("no evaluation set at {path}");
        return;
    };
    let cases = crate::discovery::eval::parse_cases(&text).expect("the evaluation set parses");
    let extractor = LocalExtractor::global();
    let report = crate::discovery::eval::evaluate(&cases, |query| extractor.read(query).query);
    println!("{report}");
    for miss in &report.misses {
        let got: Vec<&str> = miss.got.countries.iter().map(|c| c.as_str()).collect();
        let expected: Vec<&str> = miss.case.countries.iter().map(|c| c.as_str()).collect();
        println!(
            "{:?}: expected {}{} got {}{}",
            miss.case.query,
            expected.join(","),
            if miss.case.global { "GLOBAL" } else { "" },
            got.join(","),
            if miss.got.global { "GLOBAL" } else { "" },
        );
    }
}
