"""Deterministic stratified sample of the Bitext customer-support training CSV.

Input : data/train/Bitext_Sample_Customer_Support_Training_Dataset.csv
        from github.com/bitext/customer-support-llm-chatbot-training-dataset
        at commit 8b6ca3d9559a4a9abab94f7978fae67019215a82 (blob 9e56c982...)
Output: drafts.jsonl, 400 rows, texts unchanged.
"""
import csv, json, random, re, sys, collections

SRC = sys.argv[1] if len(sys.argv) > 1 else "work/train_8b6ca3d.csv"
OUT = sys.argv[2] if len(sys.argv) > 2 else "drafts.jsonl"
N, SEED = 400, 13
# rows whose reply is not a plausible human-agent draft (bot self-reference / odd persona)
EXCLUDE = re.compile(r"language model|Customer Service Scientist", re.I)

with open(SRC, encoding="utf-8", newline="") as f:
    rows = list(csv.DictReader(f))

by_intent = collections.defaultdict(list)
for i, r in enumerate(rows):          # i = 0-based data-row index (header excluded)
    if EXCLUDE.search(r["response"]):
        continue
    by_intent[r["intent"]].append(i)

rng = random.Random(SEED)
intents = sorted(by_intent)
base, extra = divmod(N, len(intents))              # 14 each, 22 intents get one more
bonus = set(rng.sample(intents, extra))
picked = []
for it in intents:
    k = base + (1 if it in bonus else 0)
    picked += rng.sample(by_intent[it], k)
picked.sort()

with open(OUT, "w", encoding="utf-8") as f:
    for i in picked:
        r = rows[i]
        f.write(json.dumps({
            "id": f"bitext-cs-train-8b6ca3d-row{i:04d}",
            "category": r["category"],
            "intent": r["intent"],
            "customer_message": r["instruction"],
            "reply": r["response"],
        }, ensure_ascii=False) + "\n")
print(len(picked), "rows written to", OUT)
