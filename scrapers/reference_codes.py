"""ACGME identifiers the scrapers and the sample web share.

Source: ACGME public ADS pages as described in shared/SOURCES.md (state codes and core
specialty codes). The dbt seeds carry the same lists for analysts.
"""

ACGME_STATE_CODES: dict[str, str] = {
    "01": "AL", "02": "AK", "03": "AZ", "04": "AR", "05": "CA", "07": "CO", "08": "CT",
    "09": "DE", "10": "DC", "11": "FL", "12": "GA", "14": "HI", "15": "ID", "16": "IL",
    "17": "IN", "18": "IA", "19": "KS", "20": "KY", "21": "LA", "22": "ME", "23": "MD",
    "24": "MA", "25": "MI", "26": "MN", "27": "MS", "28": "MO", "29": "MT", "30": "NE",
    "31": "NV", "32": "NH", "33": "NJ", "34": "NM", "35": "NY", "36": "NC", "37": "ND",
    "38": "OH", "39": "OK", "40": "OR", "41": "PA", "42": "PR", "43": "RI", "45": "SC",
    "46": "SD", "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "54": "WA",
    "55": "WV", "56": "WI", "57": "WY",
}

CORE_SPECIALTIES: dict[str, str] = {
    "020": "Allergy and Immunology", "040": "Anesthesiology", "060": "Colon and Rectal Surgery",
    "080": "Dermatology", "110": "Emergency Medicine", "120": "Family Medicine",
    "130": "Medical Genetics and Genomics", "140": "Internal Medicine",
    "160": "Neurological Surgery", "180": "Neurology", "185": "Child Neurology",
    "200": "Nuclear Medicine", "220": "Obstetrics and Gynecology", "240": "Ophthalmology",
    "260": "Orthopaedic Surgery", "280": "Otolaryngology", "300": "Pathology-Anatomic and Clinical",
    "320": "Pediatrics", "340": "Physical Medicine and Rehabilitation",
    "362": "Plastic Surgery (Integrated)", "380": "Preventive Medicine", "400": "Psychiatry",
    "416": "Interventional Radiology (Integrated)", "420": "Radiology-Diagnostic",
    "430": "Radiation Oncology", "440": "Surgery-General", "451": "Vascular Surgery (Integrated)",
    "461": "Thoracic Surgery (Integrated)", "480": "Urology", "999": "Transitional Year",
    "700": "Internal Medicine/Pediatrics",
}


def is_core_program(program_id: str) -> bool:
    """A program applicants to the Main Match can target: an ACGME program id begins with its specialty's
    code, and fellowships (subspecialty codes) are entered after a residency, never chosen by an IMG
    looking for one. The refresh counts them in the census and fetches nothing beyond their listing."""
    return program_id[:3] in CORE_SPECIALTIES
