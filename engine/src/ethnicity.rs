//! GB/T 3304 民族 codes and names, so printed documents show 汉族 rather than `1`.

/// Names of codes 1–56, in the standard's order.
const NAMES: [&str; 56] = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
];

/// The name of an ethnicity code, or `None` for a code the standard does not define.
pub fn name(code: u8) -> Option<&'static str> {
    match code {
        1..=56 => NAMES.get(usize::from(code - 1)).copied(),
        97 => Some("其他"),
        98 => Some("外国血统中国籍人士"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::name;

    #[test]
    fn codes_map_to_the_standard_names() {
        assert_eq!(name(1), Some("汉族"));
        assert_eq!(name(15), Some("土家族"));
        assert_eq!(name(56), Some("基诺族"));
        assert_eq!(name(97), Some("其他"));
        assert_eq!(name(0), None);
        assert_eq!(name(57), None);
    }
}
