#!/usr/bin/env bash
# A newcomer's walk through one candidate's registration (demo server on $API).
set -euo pipefail
API=${API:-http://127.0.0.1:8080}; DATA=${DATA:-./data}; PASS=${PASS:?demo password printed at start}
j() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
# The identity provider's callbacks are HMAC-signed with the key in $DATA/secrets.json.
sign() { python3 -c "import hmac,hashlib,sys; print(hmac.new(bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), hashlib.sha256).hexdigest())" "$1" "$2"; }
key() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$DATA/secrets.json" "$1"; }
echo '# 1. point operator logs in'
POINT=$(curl -s -XPOST $API/v1/sessions/operator -H 'content-type: application/json' -d "{\"username\":\"point-430102-001\",\"password\":\"$PASS\"}" | j "['token']")
echo '# 2. point captures ID-card data, photo, serial number'
PHOTO=$(base64 -w0 "$(dirname "$0")/demo-photo.jpg")   # 480×640 greyscale JPEG, 30 KB
curl -s -XPOST $API/v1/points/430102-001/captures -H "authorization: Bearer $POINT" -H 'idempotency-key: cap-1' -H 'content-type: application/json' \
  -d "{\"id_number\":\"11010519491231002X\",\"name\":\"张三\",\"gender\":\"female\",\"ethnicity\":1,\"birth_date\":\"1949-12-31\",\"address\":\"湖南省长沙市芙蓉区\",\"valid_until\":\"长期\",\"category\":\"history\",\"mode\":\"card_read\",\"photo_base64\":\"$PHOTO\"}" | tee /tmp/cap.json; echo
CKEY=$(j "['key']" < /tmp/cap.json); SERIAL=$(j "['serial_number']" < /tmp/cap.json)
echo '# 3. candidate first login (ID number + name + validity), then the fee order'
TOKEN=$(curl -s -XPOST $API/v1/sessions/candidate/first-login -H 'content-type: application/json' -d '{"id_number":"11010519491231002X","name":"张三","valid_until":"长期"}' | j "['token']")
curl -s -XPOST $API/v1/candidates/me/fee-orders -H "authorization: Bearer $TOKEN" -H 'idempotency-key: order-1' -H 'content-type: application/json' -d '{"provider":"wechat_pay"}' | tee /tmp/order.json; echo
ORDER=$(j "['order_id']" < /tmp/order.json)
echo '# 4. the candidate pays in the demo sandbox (沙箱): it sends WeChat Pay v3 notifications, RSA-signed with the sandbox key and'
echo '#    AES-GCM encrypted, through the same verification as a real one; paying a second time is a second (surplus) payment'
PAY=$(j "['pay']['content']" < /tmp/order.json); PAY=${PAY#*/v1/}
curl -s -XPOST $API/v1/$PAY; echo
curl -s -XPOST $API/v1/candidates/me/payment-status -H "authorization: Bearer $TOKEN"; echo
curl -s $API/v1/candidates/me -H "authorization: Bearer $TOKEN" | python3 -c "import sys,json; d=json.load(sys.stdin); print({k: d[k] for k in ('status','fee_paid','fee_paid_in_sandbox')})"
echo '# 5. real-person authentication (the candidate starts it; the provider calls back with the ticket and the digest of the ID it verified), passwords, pledge'
VERIFICATION=$(curl -s -XPOST $API/v1/candidates/me/identity-verification -H "authorization: Bearer $TOKEN" | j "['verification']")
DIGEST=$(printf %s 11010519491231002X | sha256sum | cut -d' ' -f1)
BODY="{\"verification\":\"$VERIFICATION\",\"passed\":true,\"reference\":\"face-1\",\"id_number_sha256\":\"$DIGEST\"}"
curl -s -XPOST $API/v1/identity/callback -H "x-signature: $(sign $(key identity) "$BODY")" -H 'content-type: application/json' -d "$BODY"; echo
curl -s -XPUT $API/v1/candidates/me/passwords -H "authorization: Bearer $TOKEN" -H 'idempotency-key: pw-1' -H 'content-type: application/json' -d '{"login_password":"Login2024x","save_password":"Save2024y"}' | j "['status']"
curl -s -XPOST $API/v1/candidates/me/pledge -H "authorization: Bearer $TOKEN" -H 'idempotency-key: pledge-1' | j "['status']"
echo '# 6. form without the save password is refused; with it, saved'
FORM='"exam_type":"general","first_subject":"history","electives":["politics","geography"],"graduation":"current","school":"长沙市第一中学","urban_rural_code":111,"resume":[{"from":"2020-09","to":null,"organisation":"长沙市第一中学","role":"学生","witness":"王老师"}]'
curl -s -XPUT $API/v1/candidates/me/form -H "authorization: Bearer $TOKEN" -H 'idempotency-key: form-1' -H 'content-type: application/json' -d "{$FORM}"; echo
curl -s -XPUT $API/v1/candidates/me/form -H "authorization: Bearer $TOKEN" -H 'idempotency-key: form-1' -H 'content-type: application/json' -d "{\"save_password\":\"Save2024y\",$FORM}" | j "['status']"
echo '# 7. the candidate prints the form (PDF); a neighbouring county may not look; the point signs; progress'
OTHER=$(curl -s -XPOST $API/v1/sessions/operator -H 'content-type: application/json' -d "{\"username\":\"county-430103\",\"password\":\"$PASS\"}" | j "['token']")
curl -s $API/v1/candidates/$CKEY -H "authorization: Bearer $OTHER"; echo
curl -s $API/v1/candidates/me/registration-form.pdf -H "authorization: Bearer $TOKEN" -o registration-form.pdf -w '%{http_code} %{content_type} %{size_download} bytes -> registration-form.pdf\n'
curl -s -XPOST $API/v1/candidates/$CKEY/signature -H "authorization: Bearer $POINT" -H 'idempotency-key: sign-1' | j "['status']"
curl -s "$API/v1/progress?scope=point:430102-001" -H "authorization: Bearer $POINT"; echo
