# iNaturalist 2018 (Van Horn et al. 2018; 8,142 species, 437,513 training
# and 24,426 validation images) for end-to-end fine-tuning. mmpretrain has
# no dataset for it: mmpretrain's ``CustomDataset`` reads annotation files
# converted from the official JSON. Pipelines of the ImageNet fine-tuning
# base (random resized crop 224 + flip + RandAugment + random erasing 0.25;
# test: short side 256, central 224 crop), ImageNet mean / std. The test
# labels are not public: validation and test both run on the official val
# split (the number papers report).
#
# Layout expected under data_root (https://github.com/visipedia/inat_comp,
# 2018: train_val2018.tar.gz, train2018.json, val2018.json unpacked there):
#   train_val2018/SUPERCATEGORY/CATEGORY_ID/*.jpg
#   meta/train.txt, meta/val.txt   one image a line: "PATH LABEL", PATH
#       relative to data_root (the JSON's file_name), LABEL in 0-8141
# The meta files come from the official COCO-style JSON (images: id,
# file_name; annotations: image_id, category_id): LABEL is the rank of the
# category id among the sorted category ids (the id itself where the ids
# run 0-8141), the same mapping for both splits. Once, from the
# repository root:
#   mkdir -p data/inat2018/meta
#   for S in train val; do python -c "
#   import json, sys
#   d = json.load(open(sys.argv[1]))
#   path = {i['id']: i['file_name'] for i in d['images']}
#   ids = sorted(c['id'] for c in d['categories'])
#   label = {c: n for n, c in enumerate(ids)}
#   with open(sys.argv[2], 'w') as f:
#       for a in d['annotations']:
#           p, y = path[a['image_id']], label[a['category_id']]
#           f.write(f'{p} {y}\n')
#   " data/inat2018/${S}2018.json data/inat2018/meta/${S}.txt; done
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'CustomDataset'
data_root = 'data/inat2018'

data_preprocessor = dict(num_classes=8142)

# _delete_: the ImageNet base's ``split`` is not an argument of
# CustomDataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
