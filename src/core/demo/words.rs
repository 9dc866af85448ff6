//! The demo book's vocabularies: company and person names, titles, sources, industries,
//! countries and reps, with the weights the generator draws them by.

/// Seniority of a job title, one of the inputs of the hidden propensity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seniority {
    /// CEO, CTO, CFO, COO, Founder.
    CLevel,
    /// VP Sales, VP Marketing, VP Engineering.
    Vp,
    /// Head of …, Director of ….
    HeadOrDirector,
    /// … Manager.
    Manager,
    /// Individual contributors: reps, analysts, engineers, consultants.
    Individual,
    /// Student, Intern.
    Junior,
    /// No title known.
    Unknown,
}

/// A job title with its seniority and how often it appears at small and at large companies.
pub struct Title {
    pub name: &'static str,
    pub seniority: Seniority,
    pub weight_small: f64,
    pub weight_large: f64,
}

const fn title(name: &'static str, seniority: Seniority, small: f64, large: f64) -> Title {
    Title {
        name,
        seniority,
        weight_small: small,
        weight_large: large,
    }
}

pub const TITLES: &[Title] = &[
    title("CEO", Seniority::CLevel, 10.0, 1.0),
    title("Founder", Seniority::CLevel, 6.0, 0.3),
    title("CTO", Seniority::CLevel, 5.0, 0.8),
    title("CFO", Seniority::CLevel, 1.5, 0.5),
    title("COO", Seniority::CLevel, 1.5, 0.5),
    title("VP Sales", Seniority::Vp, 1.0, 2.0),
    title("VP Marketing", Seniority::Vp, 1.0, 2.0),
    title("VP Engineering", Seniority::Vp, 0.5, 1.5),
    title("Head of Marketing", Seniority::HeadOrDirector, 2.0, 3.0),
    title("Head of Sales", Seniority::HeadOrDirector, 2.0, 3.0),
    title("Head of Operations", Seniority::HeadOrDirector, 1.0, 2.0),
    title("Director of IT", Seniority::HeadOrDirector, 1.0, 3.0),
    title("Director of Sales", Seniority::HeadOrDirector, 1.0, 3.0),
    title("Marketing Manager", Seniority::Manager, 4.0, 6.0),
    title("Sales Manager", Seniority::Manager, 3.0, 5.0),
    title("IT Manager", Seniority::Manager, 2.0, 4.0),
    title("Operations Manager", Seniority::Manager, 2.0, 4.0),
    title("Product Manager", Seniority::Manager, 2.0, 4.0),
    title("Sales Rep", Seniority::Individual, 3.0, 6.0),
    title("Account Executive", Seniority::Individual, 2.0, 5.0),
    title("Marketing Specialist", Seniority::Individual, 3.0, 5.0),
    title("Analyst", Seniority::Individual, 2.0, 5.0),
    title("Data Analyst", Seniority::Individual, 1.0, 3.0),
    title("Software Engineer", Seniority::Individual, 3.0, 6.0),
    title("Consultant", Seniority::Individual, 4.0, 2.0),
    title("Student", Seniority::Junior, 2.0, 1.0),
    title("Intern", Seniority::Junior, 1.5, 2.0),
];

/// Lead sources, their weights, and whether the lead came in by itself (inbound).
pub const SOURCES: &[(&str, f64, bool)] = &[
    ("Website", 22.0, true),
    ("Referral", 6.0, false),
    ("Webinar", 8.0, true),
    ("Paid Search", 12.0, true),
    ("LinkedIn Ads", 10.0, true),
    ("Trade Show", 6.0, false),
    ("Cold Outbound", 16.0, false),
    ("Partner", 6.0, false),
    ("Content Download", 14.0, true),
];

pub const INDUSTRIES: &[&str] = &[
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Logistics",
    "Media",
    "Government",
];

/// The last word of a company name, with the index of its industry in [`INDUSTRIES`]. An
/// industry's share of accounts is its share of these words.
pub const COMPANY_KINDS: &[(&str, usize)] = &[
    ("Software", 0),
    ("Systems", 0),
    ("Labs", 0),
    ("Analytics", 0),
    ("Cloud", 0),
    ("Data", 0),
    ("Digital", 0),
    ("Networks", 0),
    ("Technologies", 0),
    ("Security", 0),
    ("Robotics", 0),
    ("AI", 0),
    ("Apps", 0),
    ("Platforms", 0),
    ("Capital", 1),
    ("Financial", 1),
    ("Payments", 1),
    ("Insurance", 1),
    ("Bank", 1),
    ("Wealth", 1),
    ("Lending", 1),
    ("Ledger", 1),
    ("Health", 2),
    ("Medical", 2),
    ("Care", 2),
    ("Clinics", 2),
    ("Pharma", 2),
    ("Diagnostics", 2),
    ("Biotech", 2),
    ("Manufacturing", 3),
    ("Industries", 3),
    ("Machinery", 3),
    ("Components", 3),
    ("Plastics", 3),
    ("Metalworks", 3),
    ("Retail", 4),
    ("Stores", 4),
    ("Outfitters", 4),
    ("Market", 4),
    ("Goods", 4),
    ("Academy", 5),
    ("Learning", 5),
    ("College", 5),
    ("School", 5),
    ("Logistics", 6),
    ("Freight", 6),
    ("Shipping", 6),
    ("Transport", 6),
    ("Couriers", 6),
    ("Media", 7),
    ("Studios", 7),
    ("Publishing", 7),
    ("Broadcasting", 7),
    ("Council", 8),
    ("Authority", 8),
    ("Agency", 8),
];

/// First half of a company's name.
pub const COMPANY_HEADS: &[&str] = &[
    "Blue", "Iron", "North", "Silver", "Red", "Bright", "Clear", "Swift", "Green", "Granite",
    "Oak", "Maple", "Cedar", "High", "Deep", "True", "Open", "Summit", "Polar", "Golden", "River",
    "Lake", "Star", "Sun", "Sky", "Copper", "Rock", "Pine", "Fox", "Wolf", "Eagle", "Hawk",
    "Lumen", "Nova", "Terra", "Aqua", "Vertex", "Quantum", "Apex", "Zen",
];

/// Second half of a company's name (joined to the first: `Bluepeak`).
pub const COMPANY_TAILS: &[&str] = &[
    "peak", "wood", "gate", "field", "bridge", "point", "line", "works", "stack", "path", "light",
    "wave", "forge", "port", "ridge", "view", "hub", "mark", "base", "core", "leaf", "crest",
    "shore", "mill", "well", "spring", "vale", "brook", "stone", "ware", "scape", "bay", "dale",
    "ford", "haven", "moor", "glen", "fern", "row", "lane",
];

/// Regional arms, appended to names once every base name is taken (very large books).
pub const REGIONS: &[&str] = &[
    "Europe", "Americas", "Asia", "Nordic", "Iberia", "UK", "Canada", "India", "Brasil",
];

/// ISO-2 country, weight, legal-form suffix, top-level domain, phone prefix.
pub const COUNTRIES: &[(&str, f64, &str, &str, &str)] = &[
    ("US", 35.0, "Inc", "com", "+1"),
    ("GB", 12.0, "Ltd", "co.uk", "+44"),
    ("DE", 10.0, "GmbH", "de", "+49"),
    ("FR", 7.0, "SAS", "fr", "+33"),
    ("NL", 5.0, "B.V.", "nl", "+31"),
    ("ES", 5.0, "S.L.", "es", "+34"),
    ("IN", 10.0, "Pvt Ltd", "in", "+91"),
    ("BR", 6.0, "Ltda", "com.br", "+55"),
    ("CA", 5.0, "Inc", "ca", "+1"),
    ("AU", 5.0, "Pty Ltd", "com.au", "+61"),
];

/// The sales team: every lead is owned by one of them.
pub const REPS: [&str; 8] = [
    "Ava Thompson",
    "Marco Rossi",
    "Priya Nair",
    "Jonas Weber",
    "Chloé Martin",
    "Diego Alvarez",
    "Hannah Kim",
    "Samuel Okafor",
];

pub const FREEMAIL: &[&str] = &["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

/// Given names and family names of one naming culture.
pub struct Culture {
    pub first: &'static [&'static str],
    pub last: &'static [&'static str],
}

pub const ANGLO: Culture = Culture {
    first: &[
        "James", "Emily", "Michael", "Sarah", "David", "Olivia", "Daniel", "Grace", "Thomas",
        "Jessica", "Ryan", "Megan", "Chris", "Laura", "Ben", "Hannah", "Jack", "Sophie", "Liam",
        "Chloe",
    ],
    last: &[
        "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright",
        "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Clarke", "Baker",
        "Campbell", "Murphy",
    ],
};

pub const GERMAN: Culture = Culture {
    first: &[
        "Lukas",
        "Anna",
        "Felix",
        "Lea",
        "Jonas",
        "Marie",
        "Maximilian",
        "Sophie",
        "Paul",
        "Johanna",
        "Leon",
        "Katrin",
        "Tobias",
        "Julia",
        "Matthias",
        "Sabine",
    ],
    last: &[
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Klein",
        "Wolf",
        "Neumann",
        "Braun",
    ],
};

pub const FRENCH: Culture = Culture {
    first: &[
        "Louis", "Camille", "Hugo", "Léa", "Gabriel", "Manon", "Arthur", "Inès", "Jules", "Chloé",
        "Théo", "Émilie", "Nicolas", "Claire", "Antoine", "Margaux",
    ],
    last: &[
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier",
    ],
};

pub const DUTCH: Culture = Culture {
    first: &[
        "Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Milan", "Sanne", "Bram", "Fleur",
        "Thijs", "Lotte", "Ruben", "Anouk",
    ],
    last: &[
        "de Jong",
        "Jansen",
        "de Vries",
        "van den Berg",
        "van Dijk",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "Bos",
        "Vos",
        "Peters",
    ],
};

pub const SPANISH: Culture = Culture {
    first: &[
        "Alejandro",
        "Lucía",
        "Pablo",
        "María",
        "Javier",
        "Carmen",
        "Sergio",
        "Elena",
        "Diego",
        "Paula",
        "Álvaro",
        "Marta",
        "Adrián",
        "Sofía",
        "Raúl",
        "Ana",
    ],
    last: &[
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Ruiz",
        "Díaz",
        "Moreno",
        "Muñoz",
        "Álvarez",
        "Romero",
        "Navarro",
    ],
};

pub const INDIAN: Culture = Culture {
    first: &[
        "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Isha", "Arjun", "Kavya", "Rahul", "Sneha",
        "Aditya", "Pooja", "Karthik", "Divya", "Sanjay", "Neha",
    ],
    last: &[
        "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Mehta", "Rao",
        "Joshi", "Das", "Chopra", "Menon", "Banerjee", "Pillai",
    ],
};

pub const BRAZILIAN: Culture = Culture {
    first: &[
        "João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Gabriel", "Larissa", "Rafael",
        "Camila", "Thiago", "Fernanda", "Bruno", "Juliana", "Felipe", "Letícia",
    ],
    last: &[
        "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Ferreira", "Almeida",
        "Carvalho", "Gomes", "Ribeiro", "Rocha", "Barbosa", "Araújo", "Cardoso",
    ],
};

/// Names heard in every English-speaking office: East Asian, African, Middle Eastern, Slavic.
pub const WORLD: Culture = Culture {
    first: &[
        "Wei",
        "Mei",
        "Hiroshi",
        "Yuki",
        "Min-jun",
        "Ji-woo",
        "Chinedu",
        "Amara",
        "Kwame",
        "Fatima",
        "Omar",
        "Layla",
        "Yusuf",
        "Aisha",
        "Piotr",
        "Katarzyna",
        "Dmitri",
        "Olena",
        "Nguyen",
        "Linh",
    ],
    last: &[
        "Chen", "Wang", "Li", "Zhang", "Tanaka", "Sato", "Kim", "Park", "Okafor", "Adeyemi",
        "Mensah", "Haddad", "Khan", "Rahman", "Kowalski", "Nowak", "Ivanova", "Tran", "Pham",
        "Hossain",
    ],
};

/// The naming culture of a lead in a country: English-speaking countries mix in the world.
pub fn culture_of(country: &str, world_roll: f64) -> &'static Culture {
    match country {
        "DE" => &GERMAN,
        "FR" => &FRENCH,
        "NL" => &DUTCH,
        "ES" => &SPANISH,
        "IN" => &INDIAN,
        "BR" => &BRAZILIAN,
        _ if world_roll < 0.35 => &WORLD,
        _ => &ANGLO,
    }
}

/// Pages of the vendor's website a lead may visit.
pub const PAGES: &[&str] = &[
    "/",
    "/pricing",
    "/features",
    "/integrations",
    "/customers",
    "/blog/lead-scoring-101",
    "/blog/pipeline-hygiene",
    "/docs/getting-started",
    "/security",
    "/compare",
    "/about",
];

pub const CAMPAIGNS: &[&str] = &[
    "Monthly newsletter",
    "Product update: smarter queues",
    "Case study: 3x more meetings",
    "Invitation: live demo",
    "Trial nurture #2",
    "Pricing change notice",
];

pub const CONTENT: &[&str] = &[
    "Ebook: The modern SDR playbook",
    "Report: State of B2B sales 2026",
    "Template: Lead qualification checklist",
    "Whitepaper: Scoring leads you can explain",
];

pub const WEBINARS: &[&str] = &[
    "Webinar: Building a pipeline that converts",
    "Webinar: From MQL to meeting in 48 hours",
    "Webinar: Forecasting without guesswork",
];

pub const FORMS: &[&str] = &[
    "Contact sales",
    "Start free trial",
    "Request a demo",
    "Pricing enquiry",
];

/// Folds a name to the ASCII letters an email address would use (`Müller` → `muller`).
pub fn email_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'Á' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(c);
    }
    out
}
