//! The airports the calculator knows: IATA code, country and city (in Portuguese, as the API
//! answers them) and coordinates for great-circle distances.
//!
//! ```
//! let gru = carbonext_sandbox::airports::find("gru").unwrap();
//! assert_eq!(gru.city, "São Paulo");
//! assert!(carbonext_sandbox::airports::ALL.len() >= 100);
//! ```

/// One airport.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Airport {
    /// IATA code.
    pub code: &'static str,
    /// Country, in Portuguese.
    pub country: &'static str,
    /// City, in Portuguese.
    pub city: &'static str,
    /// Latitude in degrees (north positive).
    pub lat: f64,
    /// Longitude in degrees (east positive).
    pub lon: f64,
}

const fn a(
    code: &'static str,
    country: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
) -> Airport {
    Airport {
        code,
        country,
        city,
        lat,
        lon,
    }
}

/// The airport with this IATA code (case-insensitive).
pub fn find(code: &str) -> Option<&'static Airport> {
    ALL.iter()
        .find(|a| a.code.eq_ignore_ascii_case(code.trim()))
}

/// Every airport, by country and then city, as the API lists them.
pub const ALL: &[Airport] = &[
    a("CPT", "África do Sul", "Cidade do Cabo", -33.9649, 18.6017),
    a("DUR", "África do Sul", "Durban", -29.6144, 31.1197),
    a("JNB", "África do Sul", "Joanesburgo", -26.1392, 28.2460),
    a("BER", "Alemanha", "Berlim", 52.3667, 13.5033),
    a("CGN", "Alemanha", "Colônia", 50.8659, 7.1427),
    a("DUS", "Alemanha", "Düsseldorf", 51.2895, 6.7668),
    a("FRA", "Alemanha", "Frankfurt", 50.0379, 8.5622),
    a("HAM", "Alemanha", "Hamburgo", 53.6304, 9.9882),
    a("LEJ", "Alemanha", "Leipzig", 51.4239, 12.2364),
    a("MUC", "Alemanha", "Munique", 48.3538, 11.7861),
    a("STR", "Alemanha", "Stuttgart", 48.6899, 9.2220),
    a("LAD", "Angola", "Luanda", -8.8584, 13.2312),
    a("AEP", "Argentina", "Buenos Aires", -34.5592, -58.4156),
    a("EZE", "Argentina", "Buenos Aires", -34.8222, -58.5358),
    a("BRC", "Argentina", "Bariloche", -41.1512, -71.1578),
    a("COR", "Argentina", "Córdoba", -31.3236, -64.2080),
    a("MDZ", "Argentina", "Mendoza", -32.8317, -68.7929),
    a("BNE", "Austrália", "Brisbane", -27.3842, 153.1175),
    a("MEL", "Austrália", "Melbourne", -37.6690, 144.8410),
    a("PER", "Austrália", "Perth", -31.9403, 115.9669),
    a("SYD", "Austrália", "Sydney", -33.9399, 151.1753),
    a("VIE", "Áustria", "Viena", 48.1103, 16.5697),
    a("BRU", "Bélgica", "Bruxelas", 50.9014, 4.4844),
    a("LPB", "Bolívia", "La Paz", -16.5133, -68.1923),
    a(
        "VVI",
        "Bolívia",
        "Santa Cruz de la Sierra",
        -17.6448,
        -63.1354,
    ),
    a("AJU", "Brasil", "Aracaju", -10.9840, -37.0703),
    a("BEL", "Brasil", "Belém", -1.3793, -48.4763),
    a("CNF", "Brasil", "Belo Horizonte", -19.6244, -43.9719),
    a("PLU", "Brasil", "Belo Horizonte", -19.8512, -43.9506),
    a("BVB", "Brasil", "Boa Vista", 2.8414, -60.6922),
    a("BSB", "Brasil", "Brasília", -15.8711, -47.9186),
    a("VCP", "Brasil", "Campinas", -23.0074, -47.1345),
    a("CGR", "Brasil", "Campo Grande", -20.4687, -54.6725),
    a("CXJ", "Brasil", "Caxias do Sul", -29.1971, -51.1875),
    a("XAP", "Brasil", "Chapecó", -27.1342, -52.6566),
    a("CGB", "Brasil", "Cuiabá", -15.6529, -56.1167),
    a("CWB", "Brasil", "Curitiba", -25.5285, -49.1758),
    a("FEN", "Brasil", "Fernando de Noronha", -3.8549, -32.4233),
    a("FLN", "Brasil", "Florianópolis", -27.6703, -48.5525),
    a("FOR", "Brasil", "Fortaleza", -3.7763, -38.5326),
    a("IGU", "Brasil", "Foz do Iguaçu", -25.5963, -54.4872),
    a("GYN", "Brasil", "Goiânia", -16.6320, -49.2207),
    a("IOS", "Brasil", "Ilhéus", -14.8160, -39.0332),
    a("JPA", "Brasil", "João Pessoa", -7.1484, -34.9502),
    a("JOI", "Brasil", "Joinville", -26.2245, -48.7974),
    a("LDB", "Brasil", "Londrina", -23.3336, -51.1301),
    a("MCP", "Brasil", "Macapá", 0.0507, -51.0722),
    a("MCZ", "Brasil", "Maceió", -9.5108, -35.7917),
    a("MAO", "Brasil", "Manaus", -3.0386, -60.0497),
    a("MGF", "Brasil", "Maringá", -23.4794, -52.0122),
    a("NAT", "Brasil", "Natal", -5.7681, -35.3761),
    a("NVT", "Brasil", "Navegantes", -26.8799, -48.6514),
    a("PMW", "Brasil", "Palmas", -10.2915, -48.3570),
    a("POA", "Brasil", "Porto Alegre", -29.9944, -51.1714),
    a("BPS", "Brasil", "Porto Seguro", -16.4386, -39.0809),
    a("PVH", "Brasil", "Porto Velho", -8.7093, -63.9023),
    a("REC", "Brasil", "Recife", -8.1265, -34.9236),
    a("RAO", "Brasil", "Ribeirão Preto", -21.1364, -47.7767),
    a("RBR", "Brasil", "Rio Branco", -9.8689, -67.8981),
    a("GIG", "Brasil", "Rio de Janeiro", -22.8100, -43.2506),
    a("SDU", "Brasil", "Rio de Janeiro", -22.9105, -43.1631),
    a("SSA", "Brasil", "Salvador", -12.9086, -38.3225),
    a("STM", "Brasil", "Santarém", -2.4247, -54.7858),
    a("SLZ", "Brasil", "São Luís", -2.5854, -44.2341),
    a("CGH", "Brasil", "São Paulo", -23.6261, -46.6564),
    a("GRU", "Brasil", "São Paulo", -23.4356, -46.4731),
    a("THE", "Brasil", "Teresina", -5.0599, -42.8235),
    a("UDI", "Brasil", "Uberlândia", -18.8836, -48.2253),
    a("VIX", "Brasil", "Vitória", -20.2581, -40.2864),
    a("RAI", "Cabo Verde", "Praia", 14.9245, -23.4935),
    a("YUL", "Canadá", "Montreal", 45.4706, -73.7408),
    a("YYZ", "Canadá", "Toronto", 43.6777, -79.6248),
    a("YVR", "Canadá", "Vancouver", 49.1967, -123.1815),
    a("DOH", "Catar", "Doha", 25.2731, 51.6081),
    a("PUQ", "Chile", "Punta Arenas", -53.0026, -70.8546),
    a("SCL", "Chile", "Santiago", -33.3930, -70.7858),
    a("CAN", "China", "Cantão", 23.3924, 113.2988),
    a("HKG", "China", "Hong Kong", 22.3080, 113.9185),
    a("PEK", "China", "Pequim", 40.0799, 116.6031),
    a("PVG", "China", "Xangai", 31.1443, 121.8083),
    a("BOG", "Colômbia", "Bogotá", 4.7016, -74.1469),
    a("CTG", "Colômbia", "Cartagena", 10.4424, -75.5130),
    a("MDE", "Colômbia", "Medellín", 6.1645, -75.4231),
    a("ICN", "Coreia do Sul", "Seul", 37.4602, 126.4407),
    a("HAV", "Cuba", "Havana", 22.9892, -82.4091),
    a("CPH", "Dinamarca", "Copenhague", 55.6180, 12.6508),
    a("CAI", "Egito", "Cairo", 30.1219, 31.4056),
    a(
        "AUH",
        "Emirados Árabes Unidos",
        "Abu Dhabi",
        24.4330,
        54.6511,
    ),
    a("DXB", "Emirados Árabes Unidos", "Dubai", 25.2532, 55.3657),
    a("GYE", "Equador", "Guayaquil", -2.1574, -79.8837),
    a("UIO", "Equador", "Quito", -0.1292, -78.3575),
    a("BCN", "Espanha", "Barcelona", 41.2974, 2.0833),
    a("MAD", "Espanha", "Madri", 40.4983, -3.5676),
    a("AGP", "Espanha", "Málaga", 36.6749, -4.4991),
    a("PMI", "Espanha", "Palma de Maiorca", 39.5517, 2.7388),
    a("ATL", "Estados Unidos", "Atlanta", 33.6407, -84.4277),
    a("BOS", "Estados Unidos", "Boston", 42.3656, -71.0096),
    a("ORD", "Estados Unidos", "Chicago", 41.9742, -87.9073),
    a("DFW", "Estados Unidos", "Dallas", 32.8998, -97.0403),
    a("DEN", "Estados Unidos", "Denver", 39.8561, -104.6737),
    a(
        "FLL",
        "Estados Unidos",
        "Fort Lauderdale",
        26.0742,
        -80.1506,
    ),
    a("IAH", "Estados Unidos", "Houston", 29.9902, -95.3368),
    a("LAS", "Estados Unidos", "Las Vegas", 36.0840, -115.1537),
    a("LAX", "Estados Unidos", "Los Angeles", 33.9416, -118.4085),
    a("MIA", "Estados Unidos", "Miami", 25.7959, -80.2870),
    a("EWR", "Estados Unidos", "Newark", 40.6895, -74.1745),
    a("JFK", "Estados Unidos", "Nova York", 40.6413, -73.7781),
    a("LGA", "Estados Unidos", "Nova York", 40.7769, -73.8740),
    a("MCO", "Estados Unidos", "Orlando", 28.4312, -81.3081),
    a("SFO", "Estados Unidos", "São Francisco", 37.6213, -122.3790),
    a("SEA", "Estados Unidos", "Seattle", 47.4502, -122.3088),
    a("IAD", "Estados Unidos", "Washington", 38.9531, -77.4565),
    a("ADD", "Etiópia", "Adis Abeba", 8.9779, 38.7993),
    a("HEL", "Finlândia", "Helsinque", 60.3172, 24.9633),
    a("LYS", "França", "Lyon", 45.7256, 5.0811),
    a("MRS", "França", "Marselha", 43.4393, 5.2214),
    a("NCE", "França", "Nice", 43.6584, 7.2159),
    a("CDG", "França", "Paris", 49.0097, 2.5479),
    a("ORY", "França", "Paris", 48.7262, 2.3652),
    a("ATH", "Grécia", "Atenas", 37.9364, 23.9445),
    a("AMS", "Holanda", "Amsterdã", 52.3105, 4.7683),
    a("BOM", "Índia", "Mumbai", 19.0896, 72.8656),
    a("DEL", "Índia", "Nova Délhi", 28.5562, 77.1000),
    a("DUB", "Irlanda", "Dublin", 53.4264, -6.2499),
    a("TLV", "Israel", "Tel Aviv", 32.0055, 34.8854),
    a("MXP", "Itália", "Milão", 45.6306, 8.7281),
    a("FCO", "Itália", "Roma", 41.8003, 12.2389),
    a("VCE", "Itália", "Veneza", 45.5053, 12.3519),
    a("HND", "Japão", "Tóquio", 35.5494, 139.7798),
    a("NRT", "Japão", "Tóquio", 35.7720, 140.3929),
    a("CMN", "Marrocos", "Casablanca", 33.3675, -7.5898),
    a("CUN", "México", "Cancún", 21.0365, -86.8771),
    a("MEX", "México", "Cidade do México", 19.4361, -99.0719),
    a("MPM", "Moçambique", "Maputo", -25.9208, 32.5726),
    a("LOS", "Nigéria", "Lagos", 6.5774, 3.3212),
    a("OSL", "Noruega", "Oslo", 60.1976, 11.1004),
    a("AKL", "Nova Zelândia", "Auckland", -37.0082, 174.7850),
    a("PTY", "Panamá", "Cidade do Panamá", 9.0714, -79.3835),
    a("ASU", "Paraguai", "Assunção", -25.2400, -57.5190),
    a("CUZ", "Peru", "Cusco", -13.5357, -71.9388),
    a("LIM", "Peru", "Lima", -12.0219, -77.1143),
    a("FAO", "Portugal", "Faro", 37.0144, -7.9659),
    a("FNC", "Portugal", "Funchal", 32.6979, -16.7745),
    a("LIS", "Portugal", "Lisboa", 38.7742, -9.1342),
    a("OPO", "Portugal", "Porto", 41.2481, -8.6814),
    a("NBO", "Quênia", "Nairóbi", -1.3192, 36.9278),
    a("EDI", "Reino Unido", "Edimburgo", 55.9508, -3.3615),
    a("LGW", "Reino Unido", "Londres", 51.1537, -0.1821),
    a("LHR", "Reino Unido", "Londres", 51.4700, -0.4543),
    a("MAN", "Reino Unido", "Manchester", 53.3537, -2.2750),
    a("SVO", "Rússia", "Moscou", 55.9726, 37.4146),
    a("SIN", "Singapura", "Singapura", 1.3644, 103.9915),
    a("ARN", "Suécia", "Estocolmo", 59.6498, 17.9238),
    a("GVA", "Suíça", "Genebra", 46.2381, 6.1090),
    a("ZRH", "Suíça", "Zurique", 47.4582, 8.5555),
    a("BKK", "Tailândia", "Bangkok", 13.6900, 100.7501),
    a("IST", "Turquia", "Istambul", 41.2753, 28.7519),
    a("MVD", "Uruguai", "Montevidéu", -34.8384, -56.0308),
    a("PDP", "Uruguai", "Punta del Este", -34.8551, -55.0943),
    a("CCS", "Venezuela", "Caracas", 10.6031, -66.9906),
];

/// Great-circle distance between two points, in kilometres (haversine, mean Earth radius
/// 6371.0088 km).
pub fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}
