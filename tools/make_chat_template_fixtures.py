#!/usr/bin/env python3
"""Expected chat-template renderings for Tests/AutoGLMTests (ChatTemplateTests).

Renders fixture conversations with transformers' own `apply_chat_template` and writes
Tests/AutoGLMTests/Fixtures/chat_templates.json. The Swift templates (Sources/AutoGLM/
ChatTemplate.swift) must produce these strings exactly.

The official tokenizer_config.json files cannot be fetched on this machine, so the three
Jinja templates are written down here as the model cards ship them (tool-calling
branches dropped: the daemon does not accept tools):
  - GLM-4 (THUDM/glm-4-9b-chat): "[gMASK]<sop>", then "<|role|>" + metadata + "\\n" +
    content for every message whose content is non-empty, then "<|assistant|>".
  - Llama-3 (meta-llama/Meta-Llama-3-8B-Instruct): bos, then per message a header,
    the trimmed content and <|eot_id|>; the generation prompt is an assistant header.
  - Qwen2 / ChatML (Qwen/Qwen2-7B-Instruct): <|im_start|>role\\ncontent<|im_end|>\\n,
    with a default system prompt when the first message is not a system message.

Usage: python3 tools/make_chat_template_fixtures.py   (transformers, tokenizers)
"""
import json
import pathlib

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast

GLM4 = (
    "[gMASK]<sop>{% for item in messages %}{% if item['content'] %}<|{{ item['role'] }}|>"
    "{{ item['metadata'] }}\n{{ item['content'] }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
TEMPLATES = {
    "glm4": (GLM4, None),
    "llama3": (LLAMA3, "<|begin_of_text|>"),
    "chatml": (CHATML, None),
}

CONVERSATIONS = [
    [{"role": "user", "content": "Hello"}],
    [{"role": "system", "content": "You are a helpful assistant"},
     {"role": "user", "content": "Hello"},
     {"role": "assistant", "content": "Hi there"},
     {"role": "user", "content": "Who are you"},
     {"role": "assistant", "content": "   I am an assistant   "},
     {"role": "user", "content": "Another question"}],
    [{"role": "user", "content": "  padded\n\n"}, {"role": "assistant", "content": ""},
     {"role": "user", "content": "after an empty reply"}],
    [{"role": "system", "content": "Antworte auf Deutsch. 中文也可以。"},
     {"role": "user", "content": "Wie weit ist es bis München?\tUngefähr\u3000"}],
    [{"role": "user", "content": "multi\nline\r\ntext with <|special|> look-alikes"},
     {"role": "assistant", "content": "ok"}],

]


def tokenizer_for(template, bos):
    model = Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tok = PreTrainedTokenizerFast(tokenizer_object=model, bos_token=bos)
    tok.chat_template = template
    return tok


def main():
    cases = []
    for name, (template, bos) in TEMPLATES.items():
        tok = tokenizer_for(template, bos)
        for conversation in CONVERSATIONS:
            for add_generation_prompt in (True, False):
                text = tok.apply_chat_template(conversation, tokenize=False,
                                               add_generation_prompt=add_generation_prompt)
                cases.append({"template": name, "add_generation_prompt": add_generation_prompt,
                              "messages": conversation, "expected": text})
    out = pathlib.Path(__file__).resolve().parent.parent / "Tests/AutoGLMTests/Fixtures/chat_templates.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
