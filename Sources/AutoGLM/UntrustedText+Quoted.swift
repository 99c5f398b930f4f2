/// Shorthand for this library's error messages: a string from a file (config.json,
/// tokenizer.json, a safetensors header, a report), quoted and bounded by UntrustedText.
func quoted(_ text: String) -> String { UntrustedText.quoted(text) }
