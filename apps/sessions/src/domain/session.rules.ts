export const NOTES_MAX_LENGTH = 5000;

/** The join code an end user reads to the technician: 6 digits, grouped `123-456`. */
export const JOIN_CODE_PATTERN = /^\d{3}-\d{3}$/;
export const DEVICE_ID_PATTERN = /^dev_[A-Za-z0-9_]{4,64}$/;
export const TICKET_ID_PATTERN = /^tkt_[A-Za-z0-9_]{4,64}$/;
export const TECHNICIAN_ID_PATTERN = /^tech_[A-Za-z0-9_]{4,64}$/;

/** Why a reference may be unknown though it exists: the mirrors are eventually consistent. */
export const NOT_YET_KNOWN = 'An entity created a moment ago in another service may not have reached the sessions service yet '
  + '(it learns them from that service\'s events): retry shortly and the same request will succeed.';
